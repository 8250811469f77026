package release_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/wix"
)

// treeConfig writes a config whose x64 console installs the executable
// and README.txt (console.payload) plus the console.files entries files
// (YAML flow sequences of {src, dst, keep_empty}), and loads it.
func treeConfig(t testing.TB, dir, files string) *config.Config {
	t.Helper()
	write(t, filepath.Join(dir, "build", "ExampleConsole.exe"), "placeholder console\n")
	write(t, filepath.Join(dir, "README.txt"), "readme\n")
	yaml := `version: 1
product:
  name: Tree Console
  manufacturer: Tree Corp
  version: 2.0.0
  upgrade_code: 7D1E2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B
console:
  executable: ExampleConsole.exe
  payload:
    x64: [build/ExampleConsole.exe, README.txt]
  files:
    x64: ` + files + `
architectures: [x64]
output:
  name: tree-console
`
	write(t, filepath.Join(dir, "msiforge.yaml"), yaml)
	c, err := config.Load(filepath.Join(dir, "msiforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bigTree writes n files in nested folders under root: 10 top folders, 10
// subfolders each, n/100 files in each leaf; plus one file in a third
// level, so the tree is three folders deep.
func bigTree(t testing.TB, root string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		leaf := filepath.Join(root, fmt.Sprintf("mod%d", i%10), fmt.Sprintf("part%d", (i/10)%10))
		if i == 0 {
			leaf = filepath.Join(leaf, "deep")
		}
		write(t, filepath.Join(leaf, fmt.Sprintf("file%04d.dat", i)), fmt.Sprintf("file %d\n", i))
	}
}

// smallTree is the tree of the golden file: a directory with a subfolder
// and a kept empty folder, a glob and one renamed file.
const smallTree = `[{src: res, dst: resources, keep_empty: true}, {src: "docs/*.txt", dst: docs/licenses}, {src: docs/NOTICE.md, dst: "docs\\NOTICE.md"}]`

func writeSmallTree(t testing.TB, dir string) {
	write(t, filepath.Join(dir, "res", "app.dat"), "app\n")
	write(t, filepath.Join(dir, "res", "lang", "fr", "strings.dat"), "fr\n")
	if err := os.MkdirAll(filepath.Join(dir, "res", "cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "docs", "LICENSE.txt"), "license\n")
	write(t, filepath.Join(dir, "docs", "THIRD_PARTY.txt"), "third party\n")
	write(t, filepath.Join(dir, "docs", "NOTICE.md"), "notice\n")
}

// TestGoldenTree pins the WiX of a small payload tree: the Directory
// tree, one component per file, RemoveFolder entries for every subfolder,
// and a component that keeps the empty folder.
func TestGoldenTree(t *testing.T) {
	dir := t.TempDir()
	writeSmallTree(t, dir)
	c := treeConfig(t, dir, smallTree)
	srcs, err := release.Sources(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "tree/"+srcs[0].Target.Wxs, srcs[0].Text)
}

// wxsDoc is the part of a console .wxs the structural checks read.
type wxsDir struct {
	ID         string    `xml:"Id,attr"`
	Name       string    `xml:"Name,attr"`
	Dirs       []wxsDir  `xml:"Directory"`
	Components []wxsComp `xml:"Component"`
}

type wxsComp struct {
	ID    string `xml:"Id,attr"`
	GUID  string `xml:"Guid,attr"`
	Files []struct {
		Name   string `xml:"Name,attr"`
		Source string `xml:"Source,attr"`
	} `xml:"File"`
	RemoveFolders []struct {
		ID string `xml:"Id,attr"`
		On string `xml:"On,attr"`
	} `xml:"RemoveFolder"`
	CreateFolder []struct{} `xml:"CreateFolder"`
}

type wxsDoc struct {
	Product struct {
		Dirs     []wxsDir `xml:"Directory"`
		Features []struct {
			ID    string `xml:"Id,attr"`
			Level string `xml:"Level,attr"`
			Refs  []struct {
				ID string `xml:"Id,attr"`
			} `xml:"ComponentRef"`
		} `xml:"Feature"`
	} `xml:"Product"`
}

// findDir returns the Directory with Id id.
func findDir(ds []wxsDir, id string) *wxsDir {
	for i := range ds {
		if ds[i].ID == id {
			return &ds[i]
		}
		if d := findDir(ds[i].Dirs, id); d != nil {
			return d
		}
	}
	return nil
}

// TestTree2000Files renders a tree of 2,000 files in nested folders and
// checks its structure: every file in its folder with its own component,
// a RemoveFolder for every folder, GUIDs from the architecture and the
// destination path, and features of at most 1,600 components (ICE47).
func TestTree2000Files(t *testing.T) {
	dir := t.TempDir()
	bigTree(t, filepath.Join(dir, "tree"), 2000)
	c := treeConfig(t, dir, `[{src: tree, dst: data}]`)
	srcs, err := release.Sources(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc wxsDoc
	if err := xml.Unmarshal(srcs[0].Text, &doc); err != nil {
		t.Fatal(err)
	}
	install := findDir(doc.Product.Dirs, "INSTALLDIR")
	if install == nil {
		t.Fatal("no INSTALLDIR")
	}
	// Walk the tree under INSTALLDIR: the path of every file, the
	// folders and whether each has its RemoveFolder.
	files := map[string]string{} // install path -> component GUID
	guids := map[string]bool{}
	folders, removed := 0, 0
	var walk func(d wxsDir, path string)
	walk = func(d wxsDir, path string) {
		hasRemove := false
		for _, comp := range d.Components {
			if guids[comp.GUID] {
				t.Errorf("GUID %s used twice", comp.GUID)
			}
			guids[comp.GUID] = true
			for _, f := range comp.Files {
				files[path+f.Name] = comp.GUID
				if want := "payload/" + path + f.Name; f.Source != want {
					t.Errorf("file %s%s: Source %s, want %s", path, f.Name, f.Source, want)
				}
			}
			if len(comp.RemoveFolders) > 0 {
				hasRemove = true
			}
		}
		if path != "" {
			folders++
			if hasRemove {
				removed++
			}
		}
		for _, sub := range d.Dirs {
			walk(sub, path+sub.Name+"/")
		}
	}
	walk(*install, "")
	if len(files) != 2002 {
		t.Errorf("%d files under INSTALLDIR, want 2002 (2,000 + the console and README.txt)", len(files))
	}
	// data, data/mod0..9, data/modN/part0..9, data/mod0/part0/deep
	if want := 1 + 10 + 100 + 1; folders != want || removed != want {
		t.Errorf("%d folders, %d with a RemoveFolder; want %d and %d", folders, removed, want, want)
	}
	ns := strings.Trim("7D1E2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B", "{}")
	for _, p := range []string{"data/mod3/part4/file0043.dat", "data/mod0/part0/deep/file0000.dat", "ExampleConsole.exe"} {
		if got, want := files[p], wix.StableGUID(ns, "console", "x64", "file", strings.ToLower(p)); got != want {
			t.Errorf("%s: component GUID %s, want %s (from the architecture and the destination path)", p, got, want)
		}
	}
	// Features: one component per file, plus one per folder that holds
	// only folders (data, data/modN), spread over features of at most
	// wix.MaxFeatureComponents.
	total := 0
	refs := map[string]bool{}
	for _, f := range doc.Product.Features {
		if len(f.Refs) > wix.MaxFeatureComponents {
			t.Errorf("feature %s has %d components; at most %d (ICE47)", f.ID, len(f.Refs), wix.MaxFeatureComponents)
		}
		if f.Level != "1" {
			t.Errorf("feature %s has Level %s; every feature installs (1)", f.ID, f.Level)
		}
		for _, r := range f.Refs {
			if refs[r.ID] {
				t.Errorf("component %s in two features", r.ID)
			}
			refs[r.ID] = true
		}
		total += len(f.Refs)
	}
	if len(doc.Product.Features) != 2 || doc.Product.Features[0].ID != "Console" {
		t.Errorf("features %v, want Console and Console2", doc.Product.Features)
	}
	// 2,002 files, 11 folders without files of their own (data and
	// data/mod0..9), settings, Run value and shortcut.
	if want := 2002 + 11 + 3; total != want {
		t.Errorf("%d components in the features, want %d", total, want)
	}
}

// TestTree2000FilesBuild builds the 2,000-file tree with the real wixl and
// reads the tables back.
func TestTree2000FilesBuild(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild")
	dir := t.TempDir()
	bigTree(t, filepath.Join(dir, "tree"), 2000)
	c := treeConfig(t, dir, `[{src: tree, dst: data}]`)
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := msi.Open(arts[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count := func(table string) int {
		rows, err := f.Rows(table)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if n := count("File"); n != 2002 {
		t.Errorf("File table: %d rows, want 2002", n)
	}
	if n := count("Component"); n != 2002+11+3 {
		t.Errorf("Component table: %d rows, want %d", n, 2002+11+3)
	}
	if n := count("FeatureComponents"); n != 2002+11+3 {
		t.Errorf("FeatureComponents table: %d rows, want %d", n, 2002+11+3)
	}
	if n := count("Feature"); n != 2 {
		t.Errorf("Feature table: %d rows, want 2", n)
	}
	rf, err := f.Rows("RemoveFile")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for _, r := range rf {
		if r["FileName"] == "" {
			dirs[r["DirProperty"]] = true
		}
	}
	for _, d := range []string{"INSTALLDIR", "ManufacturerDir", "ShortcutFolder", "SetupCacheDir", wix.Identifier("D_", "data"), wix.Identifier("D_", "data/mod0/part0/deep")} {
		if !dirs[d] {
			t.Errorf("no RemoveFile row removes folder %s", d)
		}
	}
	if len(dirs) != 112+4 {
		t.Errorf("RemoveFile removes %d folders, want %d (every folder of the tree, INSTALLDIR, the vendor folder, the Start menu folder, the setup cache)", len(dirs), 112+4)
	}
}

// TestWineTree installs the 2,000-file tree into Wine, per-user and
// per-machine, and uninstalls it: every file lands in its folder, and the
// uninstall leaves no file and no folder behind, the vendor folder
// (%LOCALAPPDATA%\<Manufacturer>, Program Files\<Manufacturer>) included.
func TestWineTree(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "wine")
	dir := t.TempDir()
	bigTree(t, filepath.Join(dir, "tree"), 2000)
	if err := os.MkdirAll(filepath.Join(dir, "cache", "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := treeConfig(t, dir, `[{src: tree, dst: data}, {src: tree/mod1, dst: "empty\\kept"}, {src: cache, dst: var/cache, keep_empty: true}]`)
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	msiPath := arts[0].Path
	w := winetest.New(t)
	const key = `Software\Tree Corp\Tree Console`
	for _, allUsers := range []string{"", "1"} {
		t.Run("ALLUSERS="+allUsers, func(t *testing.T) {
			hive := "HKCU"
			if allUsers == "1" {
				hive = "HKLM"
			}
			if rc := w.Msiexec("/i", msiPath, "/qn", "ALLUSERS="+allUsers); rc != 0 {
				t.Fatalf("install: exit %d", rc)
			}
			installed, ok := w.RegValue(hive+`\`+key, "InstallDir")
			if !ok {
				t.Fatal("no InstallDir value")
			}
			vendor := strings.TrimSuffix(strings.TrimSuffix(installed, `\`), `\Tree Console`)
			if vendor == strings.TrimSuffix(installed, `\`) {
				t.Fatalf("InstallDir %q does not end in Tree Console", installed)
			}
			if !w.Exists(installed + `var\cache\a\b`) {
				t.Errorf("the kept empty folder %svar\\cache\\a\\b was not created", installed)
			}
			for _, f := range []string{`ExampleConsole.exe`, `data\mod3\part4\file0043.dat`, `data\mod0\part0\deep\file0000.dat`, `data\mod9\part9\file1999.dat`, `empty\kept\part0\file0001.dat`} {
				if !w.Exists(installed + f) {
					t.Errorf("%s%s not installed", installed, f)
				}
			}
			n := 0
			filepath.WalkDir(w.Path(installed), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return nil
			})
			if want := 2002 + 200; n != want {
				t.Errorf("%d files installed under %s, want %d", n, installed, want)
			}
			if rc := w.Msiexec("/x", msiPath, "/qn", "ALLUSERS="+allUsers); rc != 0 {
				t.Fatalf("uninstall: exit %d", rc)
			}
			if w.Exists(installed) {
				var left []string
				filepath.WalkDir(w.Path(installed), func(p string, _ fs.DirEntry, err error) error {
					if len(left) < 10 {
						left = append(left, p)
					}
					return nil
				})
				t.Errorf("%s left after uninstall: %s", installed, strings.Join(left, ", "))
			}
			if w.Exists(vendor) {
				t.Errorf("the vendor folder %s is left after uninstall", vendor)
			}
		})
	}
}

// TestLintTreeFolders: a payload folder redirected into the profile with
// INSTALLDIR must be in the RemoveFile table (MSF002, the ICE64 rule);
// the built package passes, and fails once a folder's row is gone.
func TestLintTreeFolders(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild")
	dir := t.TempDir()
	writeSmallTree(t, dir)
	c := treeConfig(t, dir, smallTree)
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	path := arts[0].Path
	msf002 := func() []string {
		fs, err := lint.CheckFile(path, lint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			if f.Rule == "MSF002" {
				out = append(out, f.String())
			}
		}
		return out
	}
	if got := msf002(); len(got) != 0 {
		t.Fatalf("the built package has MSF002 findings: %v", got)
	}
	fr := wix.Identifier("D_", "resources/lang/fr")
	if err := msitools.Query(context.Background(), execx.OS{}, path, "DELETE FROM `RemoveFile` WHERE `DirProperty` = "+msitools.Quote(fr)); err != nil {
		t.Fatal(err)
	}
	got := msf002()
	if len(got) != 1 || !strings.Contains(got[0], "The directory "+fr+" is in the user profile (under INSTALLDIR, which custom action SetUserInstallDir sets to [LocalAppDataFolder]") {
		t.Errorf("MSF002 findings %v, want one for %s", got, fr)
	}
}
