package release_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/simulate"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/winetest"
)

const (
	settingsKey = `Software\Example Corp\Example Support Console`
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	runName     = "Example Support Console"
)

// TestWineInstall installs the x64 console MSI into a real Windows
// Installer (Wine) for every row of the update matrix, and checks files and
// registry against internal/matrix.
func TestWineInstall(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, "x64")
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	msiPath := arts[0].Path
	w := winetest.New(t)

	for _, combo := range combos() {
		row, run, dir := combo.row, combo.run, combo.dir
		name := fmt.Sprintf("ALLUSERS=%s_SHOULDAUTOUPDATE=%s_RUNATSTARTUP=%s", row.AllUsers, row.ShouldAutoUpdate, run)
		if dir != "" {
			name += "_INSTALLDIR"
		}
		t.Run(name, func(t *testing.T) {
			hive, other := "HKCU", "HKLM"
			if row.Scope == "per-machine" {
				hive, other = "HKLM", "HKCU"
			}
			// Under Wine an empty ALLUSERS= must come last: "PROP= " swallows
			// the next argument.
			args := []string{"/i", msiPath, "/qn", "RUNATSTARTUP=" + run, "SHOULDAUTOUPDATE=" + row.ShouldAutoUpdate}
			cmdline := map[string]string{"RUNATSTARTUP": run, "SHOULDAUTOUPDATE": row.ShouldAutoUpdate, "ALLUSERS": row.AllUsers}
			if dir != "" {
				args = append(args, "INSTALLDIR="+dir)
				cmdline["INSTALLDIR"] = dir
			}
			args = append(args, "ALLUSERS="+row.AllUsers)
			if rc := w.Msiexec(args...); rc != 0 {
				t.Fatalf("msiexec %s: exit %d", strings.Join(args, " "), rc)
			}
			wantAU := "0"
			if row.AutoUpdate {
				wantAU = "1"
			}
			for name, want := range map[string]string{"ShouldAutoUpdate": row.ShouldAutoUpdate, "AutoUpdate": wantAU, "RunAtStartup": run, "AllUsers": row.AllUsers} {
				if got, ok := w.RegValue(hive+`\`+settingsKey, name); !ok || got != want {
					t.Errorf("%s\\%s %s = %q (exists %v), want %q", hive, settingsKey, name, got, ok, want)
				}
			}
			if w.KeyExists(other + `\` + settingsKey) {
				t.Errorf("%s\\%s exists for a %s install", other, settingsKey, row.Scope)
			}
			installed, _ := w.RegValue(hive+`\`+settingsKey, "InstallDir")
			wantRoot := `C:\Program Files\Example Corp\`
			switch {
			case dir != "":
				wantRoot = dir
			case row.Scope == "per-user":
				wantRoot = `\AppData\Local\Example Corp\`
			}
			if !strings.Contains(installed, wantRoot) {
				t.Errorf("InstallDir %q is not under %q", installed, wantRoot)
			}
			if !w.Exists(installed + "ExampleConsole.exe") {
				t.Errorf("%sExampleConsole.exe not installed", installed)
			}
			runValue, ok := w.RegValue(hive+`\`+runKey, runName)
			if run == "0" && ok {
				t.Errorf("Run value %q written with RUNATSTARTUP=0", runValue)
			}
			if want := `"` + installed + `ExampleConsole.exe"`; run == "1" && (!ok || runValue != want) {
				t.Errorf("Run value %q (exists %v), want %q", runValue, ok, want)
			}
			if _, ok := w.RegValue(other+`\`+runKey, runName); ok {
				t.Errorf("Run value written to %s too", other)
			}

			// The simulation from the MSI's tables must agree with what the
			// real Windows Installer wrote: same values in the same hive.
			f, err := msi.Open(msiPath)
			if err != nil {
				t.Fatal(err)
			}
			sim, err := simulate.Install(f, cmdline, simulate.Context{})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range sim.Registry {
				got, ok := w.RegValue(v.Hive+`\`+v.Key, v.Name)
				switch {
				case !ok:
					t.Errorf("simulated %s\\%s %s, which Wine did not write", v.Hive, v.Key, v.Name)
				case strings.Contains(v.Value, `\`): // a path: profile folders differ
				case strings.HasPrefix(v.Value, "#"): // integer: reg shows 0x1
				case got != v.Value:
					t.Errorf("%s\\%s %s: Wine wrote %q, the simulation %q", v.Hive, v.Key, v.Name, got, v.Value)
				}
			}
			// Wine (unlike Windows) does not take the install context from
			// the product's registration: tell it, or HKMU means HKCU.
			if rc := w.Msiexec("/x", msiPath, "/qn", "ALLUSERS="+row.AllUsers); rc != 0 {
				t.Fatalf("uninstall: exit %d", rc)
			}
			if w.KeyExists(hive + `\` + settingsKey) {
				t.Error("settings key left after uninstall")
			}
			if _, ok := w.RegValue(hive+`\`+runKey, runName); ok {
				t.Error("Run value left after uninstall")
			}
			if w.Exists(installed + "ExampleConsole.exe") {
				t.Error("files left after uninstall")
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		if rc := w.Msiexec("/i", msiPath, "/qn"); rc != 0 {
			t.Fatalf("exit %d", rc)
		}
		for name, want := range map[string]string{"RunAtStartup": "0", "ShouldAutoUpdate": "0", "AutoUpdate": "0", "AllUsers": ""} {
			if got, _ := w.RegValue(`HKCU\`+settingsKey, name); got != want {
				t.Errorf("%s = %q, want the default %q", name, got, want)
			}
		}
		if _, ok := w.RegValue(`HKCU\`+runKey, runName); ok {
			t.Error("Run value written with RUNATSTARTUP defaulting to 0")
		}
		w.Msiexec("/x", msiPath, "/qn")
	})

	for _, bad := range []string{"RUNATSTARTUP=2", "SHOULDAUTOUPDATE=yes", "ALLUSERS=3"} {
		t.Run("refused_"+bad, func(t *testing.T) {
			if rc := w.Msiexec("/i", msiPath, "/qn", bad); rc != winetest.Code(1603) {
				t.Errorf("exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
			}
			if w.KeyExists(`HKCU\`+settingsKey) || w.KeyExists(`HKLM\`+settingsKey) {
				t.Error("a refused install wrote settings")
			}
		})
	}
}

// TestWineUpgradeKeepsSettings installs 1.4.2 per-machine with a custom
// folder, upgrades to 1.4.3 without repeating the properties, and checks
// the remembered values, one Add/Remove Programs entry, and that a
// downgrade is refused.
func TestWineUpgradeKeepsSettings(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	out := t.TempDir()
	old := testutil.LoadExample(t, "x64")
	oldArts, err := release.Build(context.Background(), execx.OS{}, old, release.Options{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	next := testutil.LoadExample(t, "x64")
	next.Product.Version = "1.4.3"
	newArts, err := release.Build(context.Background(), execx.OS{}, next, release.Options{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if oldArts[0].ProductCode == newArts[0].ProductCode {
		t.Fatal("ProductCode did not change with the version")
	}
	w := winetest.New(t)
	custom := `C:\Custom Dir\Console\`
	if rc := w.Msiexec("/i", oldArts[0].Path, "/qn", "ALLUSERS=1", "RUNATSTARTUP=1", "INSTALLDIR="+custom); rc != 0 {
		t.Fatalf("install 1.4.2: exit %d", rc)
	}
	if rc := w.Msiexec("/i", newArts[0].Path, "/qn", "ALLUSERS=1"); rc != 0 {
		t.Fatalf("upgrade to 1.4.3: exit %d", rc)
	}
	key := `HKLM\` + settingsKey
	if v, _ := w.RegValue(key, "Version"); v != "1.4.3" {
		t.Errorf("Version = %q after the upgrade", v)
	}
	if v, _ := w.RegValue(key, "InstallDir"); v != custom {
		t.Errorf("InstallDir = %q, want the remembered %q", v, custom)
	}
	if !w.Exists(custom + "ExampleConsole.exe") {
		t.Error("upgrade did not install into the remembered folder")
	}
	if _, ok := w.RegValue(`HKLM\`+runKey, runName); !ok {
		t.Error("remembered RUNATSTARTUP=1 lost: no Run value after the upgrade")
	}
	n := 0
	for _, code := range []string{oldArts[0].ProductCode, newArts[0].ProductCode} {
		if w.KeyExists(`HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\` + code) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Add/Remove Programs entries after the upgrade, want 1", n)
	}
	if rc := w.Msiexec("/i", oldArts[0].Path, "/qn", "ALLUSERS=1"); rc != winetest.Code(1603) {
		t.Errorf("downgrade: exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
	}
	if rc := w.Msiexec("/x", newArts[0].Path, "/qn", "ALLUSERS=1"); rc != 0 {
		t.Fatalf("uninstall: exit %d", rc)
	}
	if w.Exists(custom+"ExampleConsole.exe") || w.KeyExists(key) {
		t.Error("uninstall left files or settings")
	}
}

type combo struct {
	row      matrix.Row
	run, dir string
}

// combos are the 8 rows of ALLUSERS × SHOULDAUTOUPDATE × RUNATSTARTUP; two
// of them also give an INSTALLDIR with spaces.
func combos() []combo {
	var out []combo
	for _, row := range matrix.Rows {
		for _, run := range []string{"0", "1"} {
			c := combo{row: row, run: run}
			if run == "1" && row.ShouldAutoUpdate == "1" {
				c.dir = `C:\Support Tools\Example Console\`
			}
			out = append(out, c)
		}
	}
	return out
}
