package exe_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/wix"
)

// TestWineEXERepairSource proves issue 11 problem 5: the EXE leaves a
// repair source that lasts as long as the product. It installs through
// the EXE with /S (per-user, then per-machine) and checks that the MSI
// sits in the versioned cache folder and is the registered install source
// (SourceList: LastUsedSource and PackageName), after the EXE's temporary
// folder is gone; that a repair from the registered source restores a
// deleted payload file; that uninstall removes the cache folder; and that
// a refused install leaves no cache folder behind.
//
// Wine differs from Windows here: Wine caches the whole MSI (cabinet
// included, in C:\windows\Installer), so under Wine a repair would work
// even with no source at all. The repair below therefore proves little on
// its own; what this test asserts is the source registration and the
// cache folder's life cycle, which is what Windows needs (it caches the
// MSI without its cabinet and reads files from the registered source:
// https://learn.microsoft.com/en-us/windows/win32/msi/source-resiliency).
func TestWineEXERepairSource(t *testing.T) {
	needMakensis(t)
	c := loadExample(t, "x64")
	msiPath := buildMSI(t, c, "x64").Path
	m := console(t, c, "x64")
	a, err := exe.Build(context.Background(), execx.OS{}, exe.Job{Model: m, MSI: msiPath, Out: tempOut(t, "example-console-1.4.2-x64.exe")})
	if err != nil {
		t.Fatal(err)
	}
	w := winetest.New(t)
	run := func(t *testing.T, args ...string) int {
		t.Helper()
		start := time.Now()
		rc := w.Run(append([]string{a.Path}, args...)...)
		t.Logf("setup %s: exit %d in %v", strings.Join(args, " "), rc, time.Since(start).Round(time.Millisecond))
		return rc
	}
	localAppData, _ := w.Output("cmd", "/c", "echo %LOCALAPPDATA%")
	localAppData = strings.TrimSpace(localAppData)
	if !strings.HasPrefix(localAppData, `C:\`) {
		t.Fatalf("LOCALAPPDATA is %q", localAppData)
	}
	sc := m.SetupCache()
	packed := wix.PackedGUID(m.ProductCode)

	for _, tc := range []struct {
		name, allUsers string
		base           string // the cache's base folder
		products       string // where the product's SourceList is registered
		installDir     string
	}{
		{"per-user", "", localAppData, `HKCU\Software\Microsoft\Installer\Products\`, localAppData + `\Example Corp\Example Support Console\`},
		{"per-machine", "1", `C:\ProgramData`, `HKLM\Software\Classes\Installer\Products\`, `C:\Program Files\Example Corp\Example Support Console\`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cacheDir := tc.base + `\` + sc.Folder
			cached := cacheDir + sc.File
			args := []string{"/S"}
			if tc.allUsers != "" {
				args = append(args, "ALLUSERS="+tc.allUsers)
			}
			if rc := run(t, args...); rc != 0 {
				t.Fatalf("exit %d", rc)
			}
			if !w.Exists(cached) {
				t.Fatalf("no cached MSI at %s", cached)
			}
			if got, want := readFile(t, w.Path(cached)), readFile(t, msiPath); string(got) != string(want) {
				t.Errorf("cached MSI differs from the built one")
			}
			if w.Exists(cached + ".previous") {
				t.Errorf("%s.previous left behind", cached)
			}
			// The registered source: the cache folder and the file name.
			key := tc.products + packed + `\SourceList`
			if got, ok := w.RegValue(key, "PackageName"); got != sc.File {
				t.Errorf("%s PackageName %q (exists %v), want %q", key, got, ok, sc.File)
			}
			if got, ok := w.RegValue(key, "LastUsedSource"); !strings.HasSuffix(strings.ToLower(got), strings.ToLower(cacheDir)) {
				t.Errorf("%s LastUsedSource %q (exists %v), want it to name %s", key, got, ok, cacheDir)
			}
			if got, ok := w.RegValue(key+`\Net`, "1"); !strings.EqualFold(got, cacheDir) {
				t.Errorf("%s\\Net 1 = %q (exists %v), want %s", key, got, ok, cacheDir)
			}

			// A repair restores a deleted payload file (v: from the
			// source), run from the registered source after the EXE and its
			// temporary folder are gone. Wine's msiexec cannot run /f: with
			// a product code it stops at "Product code treatment not
			// implemented yet" (exit 1), and it passes a package path to
			// MsiReinstallProduct as a product code (1605). The property
			// form is the same repair: REINSTALL=ALL with REINSTALLMODE
			// (https://learn.microsoft.com/en-us/windows/win32/msi/reinstallmode).
			exePath := tc.installDir + "ExampleConsole.exe"
			if !w.Exists(exePath) {
				t.Fatalf("%s not installed", exePath)
			}
			if err := removeFile(w.Path(exePath)); err != nil {
				t.Fatal(err)
			}
			repair := []string{"/i", cached, "/qn", "REINSTALL=ALL", "REINSTALLMODE=vomus"}
			if tc.allUsers != "" {
				repair = append(repair, "ALLUSERS="+tc.allUsers)
			}
			if rc := w.Msiexec(repair...); rc != 0 {
				t.Errorf("repair: exit %d", rc)
			}
			if w.Exists(cached + ".previous") {
				t.Errorf("%s.previous left behind", cached)
			}
			if !w.Exists(exePath) {
				t.Errorf("repair did not restore %s", exePath)
			}

			// Uninstall (by product code, as Add/Remove Programs does)
			// removes the cache folder and nothing else of the base.
			uninstall := []string{"/x", m.ProductCode, "/qn"}
			if tc.allUsers != "" {
				uninstall = append(uninstall, "ALLUSERS="+tc.allUsers)
			} else {
				uninstall = append(uninstall, "ALLUSERS=") // Wine: an empty ALLUSERS= comes last
			}
			if rc := w.Msiexec(uninstall...); rc != 0 {
				t.Fatalf("uninstall: exit %d", rc)
			}
			if w.Exists(cacheDir) {
				t.Errorf("uninstall left %s", cacheDir)
			}
			if w.KeyExists(key) {
				t.Errorf("uninstall left %s", key)
			}
		})
	}

	// Per-machine, a link planted in place of the cache folder (a standard
	// user can create folders under ProgramData) is refused: an elevated
	// setup would write through it. Wine reports a host symlink as a
	// reparse point, as Windows does a junction.
	t.Run("per-machine refuses a planted link", func(t *testing.T) {
		target := w.Path(`C:\planted`)
		link := w.Path(`C:\ProgramData\` + sc.Folder)
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Clean(link)); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Clean(link))
		if rc := run(t, "/S", "ALLUSERS=1"); rc != winetest.Code(1603) {
			t.Errorf("exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
		}
		if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Errorf("setup wrote through the link: %v", entries)
		}
		if w.KeyExists(`HKLM\` + settingsKey) {
			t.Error("installed anyway")
		}
	})

	// A cache folder that cannot be created (a file in its place): 1603,
	// nothing installed, the file left alone.
	t.Run("cache folder cannot be written", func(t *testing.T) {
		blocker := filepath.Clean(w.Path(localAppData + `\` + sc.Folder))
		if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blocker, []byte("not a folder"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(blocker)
		if rc := run(t, "/S"); rc != winetest.Code(1603) {
			t.Errorf("exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
		}
		if w.KeyExists(`HKCU\` + settingsKey) {
			t.Error("installed without a repair source")
		}
		if b, err := os.ReadFile(blocker); err != nil || string(b) != "not a folder" {
			t.Errorf("the file in the folder's place was changed: %q, %v", b, err)
		}
	})

	t.Run("refused install leaves no cache", func(t *testing.T) {
		if rc := run(t, "/S", "RUNATSTARTUP=2"); rc != winetest.Code(1603) {
			t.Errorf("exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
		}
		if dir := localAppData + `\` + sc.Folder; w.Exists(dir) {
			t.Errorf("a refused install left %s", dir)
		}
	})
}

// TestWineEXEUpgradeReplacesRepairSource: the cache lasts as long as the
// product it belongs to. A major upgrade through the 1.5.0 EXE removes
// 1.4.2 (RemoveExistingProducts), and with it 1.4.2's cache folder, while
// 1.5.0's folder becomes the registered source.
func TestWineEXEUpgradeReplacesRepairSource(t *testing.T) {
	needMakensis(t)
	build := func(version string) (string, *wix.Console) {
		c := loadExample(t, "x64")
		c.Product.Version = version
		msiPath := buildMSI(t, c, "x64").Path
		m := console(t, c, "x64")
		a, err := exe.Build(context.Background(), execx.OS{}, exe.Job{Model: m, MSI: msiPath, Out: tempOut(t, "example-console-"+version+"-x64.exe")})
		if err != nil {
			t.Fatal(err)
		}
		return a.Path, m
	}
	oldEXE, oldM := build("1.4.2")
	newEXE, newM := build("1.5.0")
	w := winetest.New(t)
	localAppData, _ := w.Output("cmd", "/c", "echo %LOCALAPPDATA%")
	localAppData = strings.TrimSpace(localAppData)
	oldDir := localAppData + `\` + oldM.SetupCache().Folder
	newDir := localAppData + `\` + newM.SetupCache().Folder

	if rc := w.Run(oldEXE, "/S"); rc != 0 {
		t.Fatalf("1.4.2 setup: exit %d", rc)
	}
	if !w.Exists(oldDir + oldM.SetupCache().File) {
		t.Fatalf("no 1.4.2 cache at %s", oldDir)
	}
	if rc := w.Run(newEXE, "/S"); rc != 0 {
		t.Fatalf("1.5.0 setup: exit %d", rc)
	}
	if got, _ := w.RegValue(`HKCU\`+settingsKey, "Version"); got != "1.5.0" {
		t.Fatalf("installed version %q after the upgrade", got)
	}
	if w.Exists(oldDir) {
		t.Errorf("the upgrade left 1.4.2's cache %s", oldDir)
	}
	if !w.Exists(newDir + newM.SetupCache().File) {
		t.Errorf("no 1.5.0 cache at %s", newDir)
	}
	key := `HKCU\Software\Microsoft\Installer\Products\` + wix.PackedGUID(newM.ProductCode) + `\SourceList\Net`
	if got, ok := w.RegValue(key, "1"); !strings.EqualFold(got, newDir) {
		t.Errorf("%s 1 = %q (exists %v), want %s", key, got, ok, newDir)
	}
	if rc := w.Msiexec("/x", newM.ProductCode, "/qn", "ALLUSERS="); rc != 0 {
		t.Fatalf("uninstall: exit %d", rc)
	}
	if w.Exists(newDir) {
		t.Errorf("uninstall left %s", newDir)
	}
}
