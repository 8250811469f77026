package release_test

// The console MSI after the first install, for real under Wine: re-runs,
// the other install context, the other architecture, a folder change, a
// settings change and a major upgrade (issue 11). Only the scenarios in
// which Wine behaves like Windows Installer are asserted; where Wine
// departs (it reinstalls everything on a maintenance run and ignores the
// transitive bit), the test says what Windows does instead.

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging"
)

// consoleMSIs builds the example console MSIs of version for archs and
// returns them by architecture. The version is changed in the loaded copy
// of the example config, as a release manager edits product.version.
func consoleMSIs(t *testing.T, version string, archs ...string) map[string]packaging.Artifact {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, archs...)
	c.Product.Version = version
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]packaging.Artifact{}
	for _, a := range arts {
		if a.Kind == packaging.KindConsoleMSI {
			out[a.Arch] = a
		}
	}
	if len(out) != len(archs) {
		t.Fatalf("built %d console MSIs, want %d", len(out), len(archs))
	}
	return out
}

// ctxArgs are the arguments that select an install context. Under Wine
// an empty ALLUSERS= must come last ("PROP= " swallows the next
// argument), so callers append these after every other property.
func ctxArgs(perMachine bool) []string {
	if perMachine {
		return []string{"ALLUSERS=1"}
	}
	return []string{"ALLUSERS="}
}

func hiveOf(perMachine bool) string {
	if perMachine {
		return "HKLM"
	}
	return "HKCU"
}

func ctxName(perMachine bool) string {
	if perMachine {
		return "per-machine"
	}
	return "per-user"
}

// msiexec runs msiexec with args and fails the test unless it exits with
// want (a Windows code; Wine passes its low 8 bits).
func msiexec(t *testing.T, w *winetest.Prefix, want int, args ...string) {
	t.Helper()
	if rc := w.Msiexec(args...); rc != winetest.Code(want) {
		t.Fatalf("msiexec %s: exit %d, want %d (%d under Wine)", strings.Join(args, " "), rc, want, winetest.Code(want))
	}
}

// settings reads the console's settings values from hive.
func settings(w *winetest.Prefix, hive string) map[string]string {
	out := map[string]string{}
	for _, name := range []string{"InstallDir", "RunAtStartup", "ShouldAutoUpdate", "AutoUpdate", "AllUsers", "Version"} {
		if v, ok := w.RegValue(hive+`\`+settingsKey, name); ok {
			out[name] = v
		}
	}
	return out
}

func wantSettings(t *testing.T, w *winetest.Prefix, hive string, want map[string]string) {
	t.Helper()
	got := settings(w, hive)
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s\\%s %s = %q, want %q", hive, settingsKey, name, got[name], v)
		}
	}
}

// arpKey is a product's Add/Remove Programs entry. Wine writes the
// entries of x64 packages, per-user ones included, under HKLM.
func arpKey(code string) string {
	return `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\` + code
}

// readLog returns a verbose msiexec log written to C:\<name>.
func readLog(t *testing.T, w *winetest.Prefix, name string) string {
	t.Helper()
	b, err := os.ReadFile(w.Path(`C:\` + name))
	if err != nil {
		t.Fatalf("msiexec log: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r", "")
}

// TestWineRerunValidatesValues: with the console installed, a re-run with
// a value outside the documented ones is refused (1603) and changes
// nothing, in both contexts, with and without the settings-change
// arguments; an uninstall still proceeds. main's package had every launch
// condition start with "Installed OR", so the re-run exited 0 and recorded
// RunAtStartup=2.
func TestWineRerunValidatesValues(t *testing.T) {
	pkg := consoleMSIs(t, "1.4.2", "x64")["x64"].Path
	w := winetest.New(t)
	for _, perMachine := range []bool{false, true} {
		t.Run(ctxName(perMachine), func(t *testing.T) {
			hive := hiveOf(perMachine)
			msiexec(t, w, 0, append([]string{"/i", pkg, "/qn", "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=0"}, ctxArgs(perMachine)...)...)
			before := settings(w, hive)
			for _, bad := range [][]string{
				{"RUNATSTARTUP=2"},
				{"SHOULDAUTOUPDATE=yes"},
				append(append([]string{}, matrix.ChangeArgs...), "RUNATSTARTUP=2"),
			} {
				args := append(append([]string{"/i", pkg, "/qn"}, bad...), ctxArgs(perMachine)...)
				msiexec(t, w, 1603, args...)
				wantSettings(t, w, hive, before)
				if _, ok := w.RegValue(hive+`\`+runKey, runName); !ok {
					t.Errorf("after the refused %v: the Run value is gone", bad)
				}
			}
			// The refusal does not block an uninstall (REMOVE=ALL).
			msiexec(t, w, 0, append([]string{"/x", pkg, "/qn"}, ctxArgs(perMachine)...)...)
			if w.KeyExists(hive + `\` + settingsKey) {
				t.Error("uninstall left the settings key")
			}
		})
	}
}

// TestWineOtherContextRefused: Windows Installer never upgrades or
// maintains a product across install contexts, so the package refuses a
// per-machine run while the installing account has a per-user install,
// and a per-user run while a per-machine install exists. Nothing of the
// refused run is written. main's package installed the second copy
// (and, per-machine, took the user's folder and RUNATSTARTUP).
//
// The refused run is the next version (1.5.0), a first install of its
// ProductCode. The installed package itself run in the other context is
// a maintenance run of the installed product, which the package does not
// refuse (Installed OR ...): Windows works on the product in the context
// it is registered in, so no second copy can appear (scenario
// other-context-same-package, proven by the simulation; Wine keeps the
// command line's ALLUSERS there, docs/wine-differences.md).
func TestWineOtherContextRefused(t *testing.T) {
	pkg := consoleMSIs(t, "1.4.2", "x64")["x64"].Path
	next := consoleMSIs(t, "1.5.0", "x64")["x64"].Path
	w := winetest.New(t)
	for _, first := range []bool{false, true} {
		second := !first
		t.Run(ctxName(second)+"_after_"+ctxName(first), func(t *testing.T) {
			msiexec(t, w, 0, append([]string{"/i", pkg, "/qn", "RUNATSTARTUP=1"}, ctxArgs(first)...)...)
			installed := settings(w, hiveOf(first))
			msiexec(t, w, 1603, append([]string{"/i", next, "/qn"}, ctxArgs(second)...)...)
			msiexec(t, w, 1603, append([]string{"/i", next, "/qn", "RUNATSTARTUP=0"}, ctxArgs(second)...)...)
			if w.KeyExists(hiveOf(second) + `\` + settingsKey) {
				t.Errorf("the refused %s run wrote %s\\%s", ctxName(second), hiveOf(second), settingsKey)
			}
			if _, ok := w.RegValue(hiveOf(second)+`\`+runKey, runName); ok {
				t.Errorf("the refused %s run wrote a Run value", ctxName(second))
			}
			wantSettings(t, w, hiveOf(first), installed)
			if !w.Exists(installed["InstallDir"] + "ExampleConsole.exe") {
				t.Errorf("the %s install lost its files", ctxName(first))
			}
			msiexec(t, w, 0, append([]string{"/x", pkg, "/qn"}, ctxArgs(first)...)...)
			if w.KeyExists(hiveOf(first) + `\` + settingsKey) {
				t.Error("uninstall left the settings key")
			}
		})
	}
}

// TestWineSameVersionOtherArchRefused: with x86 1.4.2 installed, the x64
// 1.4.2 package is refused, and its launch condition names the installed
// x86 product code (SAMEVERSIONDETECTED, set by FindRelatedProducts from
// the exact-version OnlyDetect Upgrade row). Once x86 is uninstalled, x64
// installs. main's package installed x64 beside x86: two products in one
// folder and one settings key.
func TestWineSameVersionOtherArchRefused(t *testing.T) {
	msis := consoleMSIs(t, "1.4.2", "x86", "x64")
	x86, x64 := msis["x86"], msis["x64"]
	w := winetest.New(t)
	msiexec(t, w, 0, "/i", x86.Path, "/qn", "RUNATSTARTUP=1")
	installed := settings(w, "HKCU")
	msiexec(t, w, 1603, "/i", x64.Path, "/qn", "/l*v", `C:\same-version.log`)

	log := readLog(t, w, "same-version.log")
	if want := matrix.PropSameVersion + " = " + x86.ProductCode; !strings.Contains(log, want) {
		t.Errorf("the log lacks %q: FindRelatedProducts did not detect the x86 package", want)
	}
	// Wine does not log a launch condition's message under /qn; the
	// message shown on Windows is the row's, which formats that property.
	if !strings.Contains(matrix.MsgSameVersion, "["+matrix.PropSameVersion+"]") {
		t.Errorf("message %q does not name the installed product code", matrix.MsgSameVersion)
	}
	if w.KeyExists(arpKey(x64.ProductCode)) {
		t.Error("the refused x64 package was registered")
	}
	wantSettings(t, w, "HKCU", installed)
	if !w.Exists(installed["InstallDir"] + "ExampleConsole.exe") {
		t.Error("the x86 install lost its files")
	}

	msiexec(t, w, 0, "/x", x86.Path, "/qn")
	msiexec(t, w, 0, "/i", x64.Path, "/qn")
	wantSettings(t, w, "HKCU", map[string]string{"Version": "1.4.2", "RunAtStartup": "0"})
	if !w.KeyExists(arpKey(x64.ProductCode)) {
		t.Error("x64 not registered after the x86 package was removed")
	}
}

// TestWineInstallDirChangeRefused: a re-run with another INSTALLDIR is
// refused (Windows Installer does not move installed components); the
// remembered folder, given in other case and without its trailing
// backslash, is the same folder and is accepted. main's package accepted
// the other folder (exit 0).
func TestWineInstallDirChangeRefused(t *testing.T) {
	pkg := consoleMSIs(t, "1.4.2", "x64")["x64"].Path
	w := winetest.New(t)
	for _, perMachine := range []bool{false, true} {
		t.Run(ctxName(perMachine), func(t *testing.T) {
			hive := hiveOf(perMachine)
			msiexec(t, w, 0, append([]string{"/i", pkg, "/qn"}, ctxArgs(perMachine)...)...)
			dir := settings(w, hive)["InstallDir"]
			other := `C:\Other Place\Console\`
			msiexec(t, w, 1603, append([]string{"/i", pkg, "/qn", "INSTALLDIR=" + other}, ctxArgs(perMachine)...)...)
			if w.Exists(other + "ExampleConsole.exe") {
				t.Errorf("the refused run installed into %s", other)
			}
			wantSettings(t, w, hive, map[string]string{"InstallDir": dir})
			same := strings.ToUpper(strings.TrimSuffix(dir, `\`))
			msiexec(t, w, 0, append([]string{"/i", pkg, "/qn", "INSTALLDIR=" + same}, ctxArgs(perMachine)...)...)
			if !w.Exists(dir + "ExampleConsole.exe") {
				t.Errorf("files gone from %s", dir)
			}
			msiexec(t, w, 0, append([]string{"/x", pkg, "/qn"}, ctxArgs(perMachine)...)...)
		})
	}
}

// TestWineSettingsChange runs the documented settings change
// (msiexec /i <msi> matrix.ChangeArgs RUNATSTARTUP=.. SHOULDAUTOUPDATE=..)
// on an installed console: the settings are rewritten, an omitted one is
// kept, and Add/Remove Programs offers no Change (ARPNOMODIFY) and shows
// the install folder (ARPINSTALLLOCATION). main's package had neither
// (NoModify absent, InstallLocation empty).
//
// The Run value: on Windows, REINSTALL=ALL re-evaluates the condition of
// the transitive Run component and removes it when RUNATSTARTUP becomes 0
// (https://learn.microsoft.com/windows/win32/msi/using-transitive-components,
// msidbComponentAttributesTransitive). Wine 8.0 leaves the value
// (measured: it reinstalls everything on a maintenance run and does not
// remove this component although its condition became false); the
// lifecycle simulation proves the Windows behaviour, so here the value
// is only logged.
func TestWineSettingsChange(t *testing.T) {
	art := consoleMSIs(t, "1.4.2", "x64")["x64"]
	w := winetest.New(t)
	for _, perMachine := range []bool{false, true} {
		t.Run(ctxName(perMachine), func(t *testing.T) {
			hive := hiveOf(perMachine)
			msiexec(t, w, 0, append([]string{"/i", art.Path, "/qn", "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1"}, ctxArgs(perMachine)...)...)
			dir := settings(w, hive)["InstallDir"]
			change := append(append([]string{"/i", art.Path, "/qn"}, matrix.ChangeArgs...), "RUNATSTARTUP=0", "SHOULDAUTOUPDATE=0")
			msiexec(t, w, 0, append(change, ctxArgs(perMachine)...)...)
			wantSettings(t, w, hive, map[string]string{"RunAtStartup": "0", "ShouldAutoUpdate": "0", "AutoUpdate": "0", "InstallDir": dir})
			if v, ok := w.RegValue(hive+`\`+runKey, runName); ok {
				t.Logf("Wine left the Run value %q after RUNATSTARTUP=0 (Windows removes the transitive component)", v)
			}
			// Only RUNATSTARTUP given: SHOULDAUTOUPDATE keeps its remembered 0.
			change = append(append([]string{"/i", art.Path, "/qn"}, matrix.ChangeArgs...), "RUNATSTARTUP=1")
			msiexec(t, w, 0, append(change, ctxArgs(perMachine)...)...)
			wantSettings(t, w, hive, map[string]string{"RunAtStartup": "1", "ShouldAutoUpdate": "0"})
			if v, ok := w.RegValue(hive+`\`+runKey, runName); !ok || v != `"`+dir+`ExampleConsole.exe"` {
				t.Errorf("Run value %q (exists %v) after RUNATSTARTUP=1", v, ok)
			}

			if v, ok := w.RegValue(arpKey(art.ProductCode), "NoModify"); !ok || v != "0x1" {
				t.Errorf("Add/Remove Programs NoModify = %q (exists %v), want 0x1", v, ok)
			}
			if v, _ := w.RegValue(arpKey(art.ProductCode), "InstallLocation"); v != dir {
				t.Errorf("Add/Remove Programs InstallLocation = %q, want %q", v, dir)
			}
			msiexec(t, w, 0, append([]string{"/x", art.Path, "/qn"}, ctxArgs(perMachine)...)...)
		})
	}
}

// TestWineMajorUpgradeKeepsRememberedValues: 1.4.2 installed with a custom
// folder, RUNATSTARTUP=1 and SHOULDAUTOUPDATE=1, then 1.5.0 (built from the
// same config with the version raised) run with no properties, in the same
// context: the values come back from that context's hive, one product
// stays registered, and its Add/Remove Programs entry shows the remembered
// folder. main's package left InstallLocation empty.
func TestWineMajorUpgradeKeepsRememberedValues(t *testing.T) {
	old := consoleMSIs(t, "1.4.2", "x64")["x64"]
	next := consoleMSIs(t, "1.5.0", "x64")["x64"]
	if old.ProductCode == next.ProductCode {
		t.Fatal("ProductCode did not change with the version")
	}
	w := winetest.New(t)
	for _, perMachine := range []bool{false, true} {
		t.Run(ctxName(perMachine), func(t *testing.T) {
			hive := hiveOf(perMachine)
			custom := `C:\Custom Dir\Console ` + ctxName(perMachine) + `\`
			msiexec(t, w, 0, append([]string{"/i", old.Path, "/qn", "INSTALLDIR=" + custom, "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1"}, ctxArgs(perMachine)...)...)
			msiexec(t, w, 0, append([]string{"/i", next.Path, "/qn"}, ctxArgs(perMachine)...)...)
			auto := "1"
			if perMachine {
				auto = "0" // the update matrix: a per-machine console never auto-updates
			}
			wantSettings(t, w, hive, map[string]string{"Version": "1.5.0", "InstallDir": custom, "RunAtStartup": "1", "ShouldAutoUpdate": "1", "AutoUpdate": auto})
			if !w.Exists(custom + "ExampleConsole.exe") {
				t.Errorf("1.5.0 not installed into the remembered %s", custom)
			}
			if v, ok := w.RegValue(hive+`\`+runKey, runName); !ok || v != `"`+custom+`ExampleConsole.exe"` {
				t.Errorf("Run value %q (exists %v) after the upgrade", v, ok)
			}
			if w.KeyExists(arpKey(old.ProductCode)) || !w.KeyExists(arpKey(next.ProductCode)) {
				t.Error("want 1.5.0 registered and 1.4.2 gone")
			}
			if v, _ := w.RegValue(arpKey(next.ProductCode), "InstallLocation"); v != custom {
				t.Errorf("Add/Remove Programs InstallLocation = %q, want %q", v, custom)
			}
			msiexec(t, w, 0, append([]string{"/x", next.Path, "/qn"}, ctxArgs(perMachine)...)...)
			if w.KeyExists(hive+`\`+settingsKey) || w.Exists(custom+"ExampleConsole.exe") {
				t.Error("uninstall left settings or files")
			}
		})
	}
}

// TestWineOtherContextOtherArchRefused: a per-machine install of the x86
// package keeps its settings in the 32-bit view of HKLM; a per-user run
// of the x64 package of the next version reads that view too and is
// refused (Windows would not find the per-machine product from a per-user
// FindRelatedProducts, so without this a second copy would appear). Before
// the other-view search, Wine's FindRelatedProducts (which crosses
// contexts) let the x64 package install per-user.
func TestWineOtherContextOtherArchRefused(t *testing.T) {
	x86 := consoleMSIs(t, "1.4.2", "x86")["x86"]
	x64 := consoleMSIs(t, "1.5.0", "x64")["x64"]
	w := winetest.New(t)
	msiexec(t, w, 0, "/i", x86.Path, "/qn", "ALLUSERS=1")
	key32 := `HKLM\Software\Wow6432Node\` + strings.TrimPrefix(settingsKey, `Software\`)
	dir, ok := w.RegValue(key32, "InstallDir")
	if !ok {
		t.Fatal("the x86 per-machine install wrote no settings in the 32-bit view")
	}
	msiexec(t, w, 1603, "/i", x64.Path, "/qn", "ALLUSERS=")
	if w.KeyExists(`HKCU\` + settingsKey) {
		t.Error("the refused per-user run wrote HKCU settings")
	}
	if !w.Exists(dir + "ExampleConsole.exe") {
		t.Error("the x86 per-machine install lost its files")
	}
	// The same package per-machine is a major upgrade of the x86 one.
	msiexec(t, w, 0, "/i", x64.Path, "/qn", "ALLUSERS=1")
	wantSettings(t, w, "HKLM", map[string]string{"Version": "1.5.0"})
	if w.KeyExists(key32) {
		t.Error("the x86 install's settings were left after the upgrade to x64")
	}
}

// TestWineUpgradeAcrossArchitecturesKeepsRememberedValues: x86 1.4.2
// installed per-machine with a custom folder and RUNATSTARTUP=1 keeps its
// settings in HKLM's 32-bit view; x64 1.5.0 run per-machine with no other
// property is a major upgrade that reads them from that view
// (the *MachineOtherView searches) because its own 64-bit view has no
// install: same folder, Run value kept (now in the 64-bit view), one
// product registered. Before the other-view fallback the x64 package went
// to Program Files with RUNATSTARTUP=0 and the Run value was gone.
func TestWineUpgradeAcrossArchitecturesKeepsRememberedValues(t *testing.T) {
	x86 := consoleMSIs(t, "1.4.2", "x86")["x86"]
	x64 := consoleMSIs(t, "1.5.0", "x64")["x64"]
	w := winetest.New(t)
	custom := `C:\Custom Dir\Console x86\`
	msiexec(t, w, 0, "/i", x86.Path, "/qn", "INSTALLDIR="+custom, "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1", "ALLUSERS=1")
	wow := func(key string) string { return `HKLM\Software\Wow6432Node\` + strings.TrimPrefix(key, `Software\`) }
	if v, ok := w.RegValue(wow(settingsKey), "InstallDir"); !ok || v != custom {
		t.Fatalf("the x86 per-machine install wrote InstallDir %q (exists %v) in the 32-bit view, want %q", v, ok, custom)
	}
	if _, ok := w.RegValue(wow(runKey), runName); !ok {
		t.Fatal("the x86 per-machine install wrote no Run value in the 32-bit view")
	}

	msiexec(t, w, 0, "/i", x64.Path, "/qn", "ALLUSERS=1")
	// The update matrix: a per-machine console never auto-updates.
	wantSettings(t, w, "HKLM", map[string]string{"Version": "1.5.0", "InstallDir": custom, "RunAtStartup": "1", "ShouldAutoUpdate": "1", "AutoUpdate": "0"})
	if !w.Exists(custom + "ExampleConsole.exe") {
		t.Errorf("1.5.0 not installed into the remembered %s", custom)
	}
	if v, ok := w.RegValue(`HKLM\`+runKey, runName); !ok || v != `"`+custom+`ExampleConsole.exe"` {
		t.Errorf("64-bit Run value %q (exists %v) after the upgrade, want the remembered folder's", v, ok)
	}
	if w.KeyExists(wow(settingsKey)) {
		t.Error("the x86 install's settings were left in the 32-bit view")
	}
	if _, ok := w.RegValue(wow(runKey), runName); ok {
		t.Error("the x86 install's Run value was left in the 32-bit view")
	}
	if w.KeyExists(arpKey(x86.ProductCode)) || w.KeyExists(wow(strings.TrimPrefix(arpKey(x86.ProductCode), `HKLM\`))) {
		t.Error("x86 1.4.2 is still registered")
	}
	if !w.KeyExists(arpKey(x64.ProductCode)) {
		t.Error("x64 1.5.0 is not registered")
	}
	if v, _ := w.RegValue(arpKey(x64.ProductCode), "InstallLocation"); v != custom {
		t.Errorf("Add/Remove Programs InstallLocation = %q, want %q", v, custom)
	}
	msiexec(t, w, 0, "/x", x64.Path, "/qn", "ALLUSERS=1")
	if w.KeyExists(`HKLM\`+settingsKey) || w.Exists(custom+"ExampleConsole.exe") {
		t.Error("uninstall left settings or files")
	}
}

// TestWineRepairWithoutAllUsers: a repair of a per-machine install whose
// command line does not carry ALLUSERS=1 (Add/Remove Programs' Repair,
// msiexec /f, a self-repair). No Microsoft page says that Windows then
// sets ALLUSERS=1, and Wine does not: this is that case. The package
// takes a maintenance run (Installed) while this account has no per-user
// install for a run of the per-machine product, so the repair is not
// refused as the other context and rewrites the remembered values, not
// the defaults. main's package refused it (1603, "already installed for
// all users"); without the per-machine copy conditions it would have
// reinstalled into the per-user default folder with RUNATSTARTUP=0.
//
// Wine writes the HKMU values of a run without ALLUSERS=1 under HKCU
// (Windows follows the product's context:
// https://learn.microsoft.com/windows/win32/msi/installation-context),
// so the values the repair computed are read from there.
func TestWineRepairWithoutAllUsers(t *testing.T) {
	pkg := consoleMSIs(t, "1.4.2", "x64")["x64"].Path
	w := winetest.New(t)
	custom := `C:\Custom Dir\Console per-machine\`
	msiexec(t, w, 0, "/i", pkg, "/qn", "INSTALLDIR="+custom, "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1", "ALLUSERS=1")
	installed := settings(w, "HKLM")
	msiexec(t, w, 0, "/i", pkg, "/qn", "REINSTALL=ALL", "REINSTALLMODE=pecms")
	wantSettings(t, w, "HKLM", installed)
	if _, ok := w.RegValue(`HKLM\`+runKey, runName); !ok {
		t.Error("the repair removed the per-machine Run value")
	}
	if !w.Exists(custom + "ExampleConsole.exe") {
		t.Errorf("files gone from %s", custom)
	}
	// What the repair computed (Wine wrote it under HKCU): the per-machine
	// install's values, not the per-user defaults.
	got := settings(w, "HKCU")
	for _, name := range []string{"InstallDir", "RunAtStartup", "ShouldAutoUpdate", "AutoUpdate"} {
		if v, ok := got[name]; ok && v != installed[name] {
			t.Errorf("the repair computed %s=%q, want the per-machine install's %q", name, v, installed[name])
		}
	}
	if len(got) == 0 {
		t.Log("Wine wrote no HKCU values: nothing to compare")
	}
	msiexec(t, w, 0, "/x", pkg, "/qn", "ALLUSERS=1")
}
