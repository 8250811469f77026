package release_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging"
)

// languageConfig writes a console config named name in language lang,
// whose payload includes a file named extra, and loads it.
func languageConfig(t *testing.T, name, manufacturer string, lang int, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"bin/Console.exe", "doc/" + extra} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("contents of "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := `version: 1
product:
  name: ` + name + `
  manufacturer: ` + manufacturer + `
  version: 1.2.0
  upgrade_code: 6B1F0A57-3C3E-4F5A-9A51-2E0C7D4B8E11
  language: ` + strconv.Itoa(lang) + `
console:
  executable: Console.exe
  exe: false
  payload:
    x64: [bin/Console.exe, doc/` + extra + `]
architectures: [x64]
output:
  name: lang-test
`
	p := filepath.Join(dir, "msiforge.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// buildOne builds c's only MSI and returns it.
func buildOne(t *testing.T, c *config.Config) packaging.Artifact {
	t.Helper()
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("built %d artifacts, want the x64 MSI", len(arts))
	}
	return arts[0]
}

// msiinfo runs the real msiinfo (msitools) and returns its output.
func msiinfo(t *testing.T, args ...string) string {
	t.Helper()
	res, err := execx.OS{}.Run(context.Background(), execx.Cmd{Name: "msiinfo", Args: args})
	if err != nil {
		t.Fatalf("msiinfo %s: %v", strings.Join(args, " "), err)
	}
	return string(res.Stdout)
}

// readsBack checks the package's strings with msiinfo and msiforge's own
// reader: the database and summary code pages, the Template's language,
// ProductName and the payload's file name.
func readsBack(t *testing.T, path, name string, lang, codepage int, file string) {
	t.Helper()
	if got := msiinfo(t, "export", path, "_ForceCodepage"); !strings.Contains(got, strconv.Itoa(codepage)+"\t_ForceCodepage") {
		t.Errorf("msiinfo _ForceCodepage: %q, want %d", got, codepage)
	}
	props := msiinfo(t, "export", path, "Property")
	for _, want := range []string{"ProductName\t" + name + "\r\n", "ProductLanguage\t" + strconv.Itoa(lang) + "\r\n"} {
		if !strings.Contains(props, want) {
			t.Errorf("msiinfo Property lacks %q:\n%s", want, props)
		}
	}
	if files := msiinfo(t, "export", path, "File"); !strings.Contains(files, "|"+file+"\t") && !strings.Contains(files, "\t"+file+"\t") {
		t.Errorf("msiinfo File lacks %q:\n%s", file, files)
	}
	if sum := msiinfo(t, "suminfo", path); !strings.Contains(sum, "Template: x64;"+strconv.Itoa(lang)+"\n") {
		t.Errorf("msiinfo suminfo: Template is not x64;%d:\n%s", lang, sum)
	}
	f, err := msi.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cp, err := f.Codepage(); err != nil || cp != codepage {
		t.Errorf("Codepage() = %d, %v; want %d", cp, err, codepage)
	}
	s, err := f.Summary()
	if err != nil || s.Codepage != codepage {
		t.Errorf("summary code page %d, %v; want %d", s.Codepage, err, codepage)
	}
}

// A Japanese product name is refused under the default code page 1252
// (config tests check the message) and builds under 932 (language 1041):
// msiinfo reads the names back and both code pages are 932.
func TestJapaneseBuildsUnder932(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := languageConfig(t, "ウィジェット", "株式会社サンプル", 1041, "読んでください.txt")
	a := buildOne(t, c)
	readsBack(t, a.Path, "ウィジェット", 1041, 932, "読んでください.txt")
}

// A French (1036) product with accented names builds in code page 1252,
// installs under Wine into a folder with the accented names, and Add/
// Remove Programs shows the accented ProductName.
func TestFrenchInstallsUnderWine(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := languageConfig(t, "Console d'assistance Démo", "Société Exemple", 1036, "Lisez-moi été.txt")
	a := buildOne(t, c)
	readsBack(t, a.Path, "Console d'assistance Démo", 1036, 1252, "Lisez-moi été.txt")

	w := winetest.New(t)
	if rc := w.Msiexec("/i", a.Path, "/qn"); rc != 0 {
		t.Fatalf("msiexec /i: exit %d", rc)
	}
	uninstall := `Software\Microsoft\Windows\CurrentVersion\Uninstall\` + a.ProductCode
	name, ok := regValue(w, `HKCU\`+uninstall, "DisplayName")
	if !ok {
		name, ok = regValue(w, `HKLM\`+uninstall, "DisplayName")
	}
	if !ok || name != "Console d'assistance Démo" {
		t.Errorf("Add/Remove Programs DisplayName = %q (exists %v), want the accented ProductName", name, ok)
	}
	dir, _ := regValue(w, `HKCU\Software\Société Exemple\Console d'assistance Démo`, "InstallDir")
	if !strings.HasSuffix(dir, `\Société Exemple\Console d'assistance Démo\`) || !w.Exists(dir+"Lisez-moi été.txt") {
		t.Errorf("InstallDir %q, or Lisez-moi été.txt not installed in it", dir)
	}
	if rc := w.Msiexec("/x", a.Path, "/qn"); rc != 0 {
		t.Fatalf("msiexec /x: exit %d", rc)
	}
	if dir != "" && w.Exists(dir+"Lisez-moi été.txt") {
		t.Error("the uninstall left Lisez-moi été.txt")
	}
}

// regValue is w.RegValue as text: `wine reg query` writes the console's
// OEM code page (437 when the host locale is C), UTF-8 under a UTF-8
// locale.
func regValue(w *winetest.Prefix, key, name string) (string, bool) {
	v, ok := w.RegValue(key, name)
	if ok && !utf8.ValidString(v) {
		if d, err := charmap.CodePage437.NewDecoder().String(v); err == nil {
			v = d
		}
	}
	return v, ok
}
