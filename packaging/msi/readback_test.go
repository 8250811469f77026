package msi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/msi"
	"github.com/msiforge/msiforge/wix"
)

// buildExample builds the example's x64 MSIs (console and VSC) with the
// real tools and returns them with their models' names.
func buildExample(t *testing.T) (console, vscRep string, consoleNames, vscNames []msi.Name) {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExampleWithVSC(t, "x64")
	off := false
	c.Console.EXE = &off
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		switch a.Kind {
		case packaging.KindConsoleMSI:
			console = a.Path
		case packaging.KindVSCRepresentative:
			vscRep = a.Path
		}
	}
	m, err := wix.NewConsole(c, "x64")
	if err != nil {
		t.Fatal(err)
	}
	v, err := wix.NewVSC(c, "representative", "x64")
	if err != nil {
		t.Fatal(err)
	}
	if console == "" || vscRep == "" {
		t.Fatalf("built %v", arts)
	}
	return console, vscRep, msi.ConsoleNames(m), msi.VSCNames(v)
}

// edited copies path and applies SQL to the copy with msibuild.
func edited(t *testing.T, path string, sql ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := msitools.Query(context.Background(), execx.OS{}, p, sql...); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadBack: the real example's console and VSC packages read back
// whole with every configured name and no extra row; a renamed file, a
// deleted shortcut or a damaged registry key fails, naming what the config
// asked for; rows a custom template adds are listed, not failed.
func TestReadBack(t *testing.T) {
	console, vsc, cn, vn := buildExample(t)
	for path, names := range map[string][]msi.Name{console: cn, vsc: vn} {
		extra, err := msi.ReadBack(path, names)
		if err != nil || len(extra) != 0 {
			t.Errorf("%s: extra %q, err %v; want neither", filepath.Base(path), extra, err)
		}
	}
	readme := wix.Identifier("F_", "README.txt")
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"renamed file", "UPDATE `File` SET `FileName` = 'READ~1.TXT|READ ME.txt' WHERE `File` = '" + readme + "'",
			`payload file README.txt: File row ` + readme + ` is damaged: FileName is "READ ME.txt", want "README.txt"`},
		{"deleted shortcut", "DELETE FROM `Shortcut`", `shortcut (console.shortcut.name): no Shortcut row has Name "Example Support Console"`},
		{"damaged settings key", "UPDATE `Registry` SET `Key` = 'Software\\Example Corp\\Example Support Consol?' WHERE `Component_` = 'Settings' OR `Component_` = 'StartMenuShortcut'",
			`settings key (product.manufacturer, product.name): no Registry row has Key "Software\\Example Corp\\Example Support Console"`},
		{"install folder", "UPDATE `Directory` SET `DefaultDir` = 'EXAMPL~1|Example' WHERE `Directory` = 'INSTALLDIR'",
			`install folder (product.name): Directory row INSTALLDIR is damaged: DefaultDir is "Example", want "Example Support Console"`},
		{"damaged product name", "UPDATE `Property` SET `Value` = 'Example Support Consol?' WHERE `Property` = 'ProductName'",
			`product name (product.name): Property row ProductName is damaged: Value is "Example Support Consol?", want "Example Support Console"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := msi.ReadBack(edited(t, console, tc.sql), cn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("extra rows", func(t *testing.T) {
		p := edited(t, console, "INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) VALUES ('TemplateExtra', 1, 'Software\\Template', 'Added', 'yes', 'Settings')")
		extra, err := msi.ReadBack(p, cn)
		if err != nil {
			t.Fatal(err)
		}
		want := `Registry TemplateExtra: Root=1 Key=Software\Template Name=Added Value=yes Component_=Settings`
		if len(extra) != 1 || extra[0] != want {
			t.Errorf("extra = %q, want [%q]", extra, want)
		}
	})
}

// TestReadBackBadStringReference: wixl 0.101 writes a name outside the
// package's code page as a reference to an unused string-pool entry
// (msiinfo shows it empty). The read-back names the table, row and column.
func TestReadBackBadStringReference(t *testing.T) {
	testutil.NeedTool(t, "wixl")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(strings.Replace(wxs, "%s", "", 1), `Name="a.txt"`, `Name="Файл.txt"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := msi.Compile(context.Background(), execx.OS{}, dir, "x86", "p.wxs", "out.msi"); err != nil {
		t.Fatal(err)
	}
	names := []msi.Name{{Table: "File", Key: "F", Cells: map[string]string{"FileName": "Файл.txt"}, What: "payload file Файл.txt"}}
	_, err := msi.ReadBack(filepath.Join(dir, "out.msi"), names)
	if err == nil || !strings.Contains(err.Error(), "read back: table File: row 1 column FileName: string id") {
		t.Fatalf("err = %v, want a bad string reference in File row 1 column FileName", err)
	}
}

func TestLongName(t *testing.T) {
	for in, want := range map[string]string{
		"a.txt": "a.txt", "READ~1.TXT|READ ME.txt": "READ ME.txt", "EXAMPL~1|Example Corp": "Example Corp",
		"target:source": "target", "T~1|Target:S~1|Source": "Target", ".": ".",
	} {
		if got := msi.LongName(in); got != want {
			t.Errorf("LongName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuildReadsBack: Build runs the read-back after the fix-ups. A fix-up
// that damages a configured name, or a payload file that changes while
// the package is made, fails the build and writes nothing.
func TestBuildReadsBack(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	src := t.TempDir()
	payload := filepath.Join(src, "a.txt")
	job := func(fix msi.Fix) msi.Job {
		if err := os.WriteFile(payload, []byte("a"), 0o644); err != nil {
			t.Fatal(err)
		}
		return msi.Job{
			Kind:    packaging.KindConsoleMSI,
			Package: msi.PackageInfo{Arch: "x86", WixlArch: "x86", UpgradeCode: "{11111111-2222-3333-4444-666666666666}"},
			Files:   []wix.File{{ID: "F", Name: "a.txt", Source: "a.txt", Path: payload}},
			Fixes:   func(string, time.Time) []msi.Fix { return []msi.Fix{fix} },
			Names:   []msi.Name{{Table: "File", Key: "F", Cells: map[string]string{"FileName": "a.txt"}, What: "payload file a.txt"}},
			Source:  []byte(strings.Replace(wxs, "%s", "", 1)),
			Out:     filepath.Join(t.TempDir(), "out.msi"),
			Epoch:   packaging.DefaultEpoch,
		}
	}
	noop := func(context.Context, execx.Runner, string) error { return nil }
	for _, tc := range []struct {
		name  string
		apply func(ctx context.Context, run execx.Runner, path string) error
		want  string
	}{
		{"clean", noop, ""},
		{"damaged name", func(ctx context.Context, run execx.Runner, path string) error {
			return msitools.Query(ctx, run, path, "UPDATE `File` SET `FileName` = 'b.txt' WHERE `File` = 'F'")
		}, `payload file a.txt: File row F is damaged: FileName is "b.txt", want "a.txt"`},
		{"payload changed", func(context.Context, execx.Runner, string) error {
			return os.WriteFile(payload, []byte("b"), 0o644)
		}, "payload file a.txt (" + payload + ") changed during the build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := job(msi.Fix{Name: tc.name, Apply: tc.apply, Check: noop})
			_, err := msi.Build(context.Background(), execx.OS{}, j)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Dir(j.Out)); len(entries) != 0 {
				t.Errorf("a failed build left %v", entries)
			}
		})
	}
}
