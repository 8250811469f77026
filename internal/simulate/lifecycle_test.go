package simulate_test

import (
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/simulate"
)

// tables is an in-memory database: the simulator's input, written out the
// way an MSI's tables hold it.
type tables map[string][]simulate.Row

func (t tables) Rows(name string) ([]simulate.Row, error) { return t[name], nil }

const (
	upgradeCode = "{11111111-1111-1111-1111-111111111111}"
	settings    = `Software\Acme\Tool`
)

// product builds a small console-like package: a settings value and a
// Run-like value under HKMU, each in its own component, a file, one
// remembered value read back per hive, and an Upgrade row removing older
// versions.
func product(t *testing.T, code, version, packageCode, template string, edit func(tables)) *simulate.Package {
	t.Helper()
	db := tables{
		"Property": {
			{"Property": "ProductCode", "Value": code}, {"Property": "ProductVersion", "Value": version},
			{"Property": "UpgradeCode", "Value": upgradeCode}, {"Property": "ProductName", "Value": "Tool"},
			{"Property": "Manufacturer", "Value": "Acme"}, {"Property": "ProductLanguage", "Value": "1033"},
		},
		"InstallExecuteSequence": {
			{"Action": "FindRelatedProducts", "Sequence": "25"},
			{"Action": "AppSearch", "Sequence": "50"},
			{"Action": "UseUserRun", "Condition": "NOT RUN AND NOT ALLUSERS", "Sequence": "51"},
			{"Action": "UseMachineRun", "Condition": `NOT RUN AND ALLUSERS="1"`, "Sequence": "52"},
			{"Action": "LaunchConditions", "Sequence": "100"},
			{"Action": "CostFinalize", "Sequence": "1000"},
			{"Action": "InstallValidate", "Sequence": "1400"},
			{"Action": "RemoveExistingProducts", "Sequence": "1401"},
			{"Action": "RemoveRegistryValues", "Sequence": "2600"},
			{"Action": "WriteRegistryValues", "Sequence": "5000"},
			{"Action": "InstallFinalize", "Sequence": "6600"},
		},
		"CustomAction": {
			{"Action": "UseUserRun", "Type": "51", "Source": "RUN", "Target": "[UserRun]"},
			{"Action": "UseMachineRun", "Type": "51", "Source": "RUN", "Target": "[MachineRun]"},
		},
		"LaunchCondition": {{"Condition": `REMOVE~="ALL" OR NOT RUN OR RUN="0" OR RUN="1"`, "Description": `RUN="[RUN]" is not supported`}},
		"AppSearch":       {{"Property": "UserRun", "Signature_": "U"}, {"Property": "MachineRun", "Signature_": "M"}},
		"RegLocator": {
			{"Signature_": "U", "Root": "1", "Key": settings, "Name": "Run", "Type": "2"},
			{"Signature_": "M", "Root": "2", "Key": settings, "Name": "Run", "Type": "18"},
		},
		"Upgrade": {{"UpgradeCode": upgradeCode, "VersionMax": version, "Attributes": "1", "ActionProperty": "OLDER"}},
		"Directory": {
			{"Directory": "TARGETDIR", "DefaultDir": "SourceDir"},
			{"Directory": "ProgramFiles64Folder", "Directory_Parent": "TARGETDIR", "DefaultDir": "."},
			{"Directory": "INSTALLDIR", "Directory_Parent": "ProgramFiles64Folder", "DefaultDir": "Tool"},
		},
		"Component": {
			{"Component": "Main", "ComponentId": "{22222222-2222-2222-2222-222222222222}", "Directory_": "INSTALLDIR", "Attributes": "256"},
			{"Component": "Settings", "ComponentId": "{33333333-3333-3333-3333-333333333333}", "Directory_": "INSTALLDIR", "Attributes": "260"},
			{"Component": "RunValue", "ComponentId": "{44444444-4444-4444-4444-444444444444}", "Directory_": "INSTALLDIR", "Attributes": "324", "Condition": `RUN="1"`},
		},
		"File": {{"File": "tool.exe", "Component_": "Main", "FileName": "tool.exe|Tool.exe"}},
		"Registry": {
			{"Registry": "r1", "Root": "-1", "Key": settings, "Name": "Run", "Value": "[RUN]", "Component_": "Settings"},
			{"Registry": "r2", "Root": "-1", "Key": settings, "Name": "Version", "Value": "[ProductVersion]", "Component_": "Settings"},
			{"Registry": "r3", "Root": "-1", "Key": `Software\Microsoft\Windows\CurrentVersion\Run`, "Name": "Tool", "Value": `"[INSTALLDIR]Tool.exe"`, "Component_": "RunValue"},
		},
	}
	if edit != nil {
		edit(db)
	}
	p, err := simulate.NewPackage("tool-"+version, db, packageCode, template)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	code1 = "{AAAAAAAA-0000-0000-0000-000000000001}"
	code2 = "{AAAAAAAA-0000-0000-0000-000000000002}"
	pkg1  = "{BBBBBBBB-0000-0000-0000-000000000001}"
	pkg2  = "{BBBBBBBB-0000-0000-0000-000000000002}"
	pkg3  = "{BBBBBBBB-0000-0000-0000-000000000003}"
)

func exec(t *testing.T, m *simulate.Machine, p *simulate.Package, props map[string]string) *simulate.Outcome {
	t.Helper()
	out, err := m.Exec(p, props, simulate.AccountUser)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustInstall(t *testing.T, m *simulate.Machine, p *simulate.Package, props map[string]string) {
	t.Helper()
	if out := exec(t, m, p, props); out.Exit != 0 {
		t.Fatalf("install %s %v: exit %d %s", p.Name, props, out.Exit, out.Message)
	}
}

func runValue(m *simulate.Machine, h, view string) bool {
	_, ok := m.Value(h, simulate.AccountUser, view, `Software\Microsoft\Windows\CurrentVersion\Run`, "Tool")
	return ok
}

// A second msiexec /i of an installed product is a maintenance run: without
// REINSTALL it changes nothing, whatever the command line says.
func TestMaintenanceWithoutReinstallChangesNothing(t *testing.T) {
	m := simulate.NewMachine()
	p := product(t, code1, "1.0.0", pkg1, "x64;1033", nil)
	mustInstall(t, m, p, map[string]string{"RUN": "1"})
	before := m.Dump()
	out := exec(t, m, p, map[string]string{"RUN": "0"})
	if out.Exit != 0 || out.Mode != simulate.ModeMaintenance || m.Dump() != before {
		t.Errorf("exit %d mode %s; changed: %v", out.Exit, out.Mode, m.Dump() != before)
	}
}

// REINSTALL=ALL REINSTALLMODE=omus re-evaluates only transitive
// components: the transitive Run value goes with RUN=0, a non-transitive
// one stays.
func TestReinstallReevaluatesTransitiveOnly(t *testing.T) {
	for _, tc := range []struct {
		attrs   string
		runLeft bool
	}{{"324", false}, {"260", true}} {
		m := simulate.NewMachine()
		p := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) { db["Component"][2]["Attributes"] = tc.attrs })
		mustInstall(t, m, p, map[string]string{"RUN": "1", "ALLUSERS": "1"})
		out := exec(t, m, p, map[string]string{"RUN": "0", "ALLUSERS": "1", "REINSTALL": "ALL", "REINSTALLMODE": "omus"})
		if out.Exit != 0 || out.Mode != simulate.ModeReinstall {
			t.Fatalf("exit %d mode %s", out.Exit, out.Mode)
		}
		if got := runValue(m, "HKLM", "64"); got != tc.runLeft {
			t.Errorf("attributes %s: Run value left %v, want %v", tc.attrs, got, tc.runLeft)
		}
		if v, _ := m.Value("HKLM", "", "64", settings, "Run"); v != "0" {
			t.Errorf("settings rewritten to %q, want 0", v)
		}
	}
}

// The same ProductCode with another PackageCode: 1638, unless the
// reinstall recaches the package (REINSTALLMODE v).
func TestSameProductCodeOtherPackage(t *testing.T) {
	m := simulate.NewMachine()
	mustInstall(t, m, product(t, code1, "1.0.0", pkg1, "x64;1033", nil), nil)
	rebuild := product(t, code1, "1.0.0", pkg2, "x64;1033", nil)
	before := m.Dump()
	if out := exec(t, m, rebuild, nil); out.Exit != simulate.ExitProductVersion || m.Dump() != before {
		t.Errorf("exit %d, want 1638 and no change", out.Exit)
	}
	if out := exec(t, m, rebuild, map[string]string{"REINSTALL": "ALL", "REINSTALLMODE": "vomus"}); out.Exit != 0 {
		t.Errorf("recache: exit %d", out.Exit)
	}
	if p := m.Product(code1); p == nil || p.PackageCode != pkg2 {
		t.Errorf("after the recache: %v", p)
	}
}

// FindRelatedProducts finds only products of the installing context, and
// RemoveExistingProducts removes what it found.
func TestMajorUpgradeStaysInContext(t *testing.T) {
	v1 := product(t, code1, "1.0.0", pkg1, "x64;1033", nil)
	v2 := product(t, code2, "2.0.0", pkg2, "x64;1033", nil)

	m := simulate.NewMachine()
	mustInstall(t, m, v1, nil)
	out := exec(t, m, v2, map[string]string{"ALLUSERS": "1"})
	if out.Exit != 0 || len(out.Removed) != 0 || len(m.Products) != 2 || out.Result.Properties["OLDER"] != "" {
		t.Errorf("per-machine v2 over per-user v1: exit %d removed %v, %d products, OLDER=%q", out.Exit, out.Removed, len(m.Products), out.Result.Properties["OLDER"])
	}

	m = simulate.NewMachine()
	mustInstall(t, m, v1, map[string]string{"RUN": "1"})
	out = exec(t, m, v2, nil)
	if out.Exit != 0 || len(out.Removed) != 1 || len(m.Products) != 1 || m.Products[0].ProductCode != code2 {
		t.Errorf("per-user v2 over per-user v1: exit %d removed %v, products %v", out.Exit, out.Removed, m.Products)
	}
	// The remembered value came through the upgrade (AppSearch ran before
	// the old product was removed).
	if !runValue(m, "HKCU", "") {
		t.Error("Run value lost in the upgrade")
	}
	if !m.FileExists(`C:\Program Files\Tool\Tool.exe`) {
		t.Errorf("files after the upgrade: %v", m.Files())
	}
}

// An OnlyDetect row sets its property but RemoveExistingProducts leaves
// the product; FindRelatedProducts does not run in maintenance.
func TestOnlyDetectAndMaintenance(t *testing.T) {
	v1 := product(t, code1, "1.0.0", pkg1, "x64;1033", nil)
	v2 := product(t, code2, "2.0.0", pkg2, "x64;1033", func(db tables) { db["Upgrade"][0]["Attributes"] = "2" })
	m := simulate.NewMachine()
	mustInstall(t, m, v1, nil)
	out := exec(t, m, v2, nil)
	if out.Exit != 0 || out.Result.Properties["OLDER"] != code1 || len(m.Products) != 2 {
		t.Errorf("OnlyDetect: exit %d OLDER=%q products %d", out.Exit, out.Result.Properties["OLDER"], len(m.Products))
	}
	out = exec(t, m, v2, nil)
	if out.Mode != simulate.ModeMaintenance || out.Result.Properties["OLDER"] != "" {
		t.Errorf("maintenance ran FindRelatedProducts: OLDER=%q", out.Result.Properties["OLDER"])
	}
}

// Launch conditions run on an uninstall: without a REMOVE~="ALL" term an
// invalid remembered or given value blocks it.
func TestUninstallRunsLaunchConditions(t *testing.T) {
	strict := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) {
		db["LaunchCondition"][0]["Condition"] = `NOT RUN OR RUN="0" OR RUN="1"`
	})
	m := simulate.NewMachine()
	mustInstall(t, m, strict, nil)
	out, err := m.Uninstall(code1, simulate.AccountUser, map[string]string{"RUN": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Exit != simulate.ExitFailure || !strings.Contains(out.Message, `RUN="2"`) || len(m.Products) != 1 {
		t.Errorf("uninstall: exit %d %q, %d products", out.Exit, out.Message, len(m.Products))
	}
	lenient := product(t, code1, "1.0.0", pkg1, "x64;1033", nil)
	m = simulate.NewMachine()
	mustInstall(t, m, lenient, map[string]string{"RUN": "1"})
	if out, _ := m.Uninstall(code1, simulate.AccountUser, map[string]string{"RUN": "2"}); out.Exit != 0 || len(m.Products) != 0 || len(m.Files()) != 0 || runValue(m, "HKCU", "") {
		t.Errorf("uninstall: exit %d, products %v, files %v", out.Exit, m.Products, m.Files())
	}
}

// HKLM values of a 64-bit component go to the 64-bit view, a 32-bit
// package's to the 32-bit one; RegLocator reads the 64-bit view only with
// its 0x10 bit.
func TestRegistryViews(t *testing.T) {
	m := simulate.NewMachine()
	mustInstall(t, m, product(t, code1, "1.0.0", pkg1, "x64;1033", nil), map[string]string{"ALLUSERS": "1", "RUN": "1"})
	if _, ok := m.Value("HKLM", "", "64", settings, "Run"); !ok {
		t.Error("x64 settings not in the 64-bit view")
	}
	// A reinstall re-reads RUN from the 64-bit view: the Run value stays.
	// (ALLUSERS=1 given: the fixture's copy condition reads it, see
	// TestMaintenanceTakesRegisteredContext.)
	repair := map[string]string{"REINSTALL": "ALL", "REINSTALLMODE": "pecms", "ALLUSERS": "1"}
	if out := exec(t, m, product(t, code1, "1.0.0", pkg1, "x64;1033", nil), repair); out.Exit != 0 || !runValue(m, "HKLM", "64") {
		t.Errorf("repair: exit %d, Run value %v", out.Exit, runValue(m, "HKLM", "64"))
	}
	// The same package reading the 32-bit view loses the value on a repair.
	m = simulate.NewMachine()
	p := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) { db["RegLocator"][1]["Type"] = "2" })
	mustInstall(t, m, p, map[string]string{"ALLUSERS": "1", "RUN": "1"})
	if out := exec(t, m, p, repair); out.Exit != 0 || runValue(m, "HKLM", "64") {
		t.Errorf("repair reading the wrong view kept the Run value (exit %d)", out.Exit)
	}
	// 32-bit components write the 32-bit view.
	m = simulate.NewMachine()
	p = product(t, code1, "1.0.0", pkg1, "Intel;1033", func(db tables) {
		for _, c := range db["Component"] {
			c["Attributes"] = strings.Replace(strings.Replace(c["Attributes"], "256", "0", 1), "260", "4", 1)
			if c["Component"] == "RunValue" {
				c["Attributes"] = "68"
			}
		}
	})
	mustInstall(t, m, p, map[string]string{"ALLUSERS": "1", "RUN": "1"})
	if _, ok := m.Value("HKLM", "", "32", settings, "Run"); !ok || !runValue(m, "HKLM", "32") {
		t.Errorf("x86 values not in the 32-bit view: %v", m.Dump())
	}
}

// Removing a component removes the values its rows name, whoever wrote
// them, unless another product of the context is still its client: two
// packages with other component GUIDs for one value lose it together.
func TestComponentClients(t *testing.T) {
	a := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) { db["Upgrade"] = nil })
	shared := product(t, code2, "1.0.0", pkg2, "x64;1033", func(db tables) { db["Upgrade"] = nil })
	other := product(t, code2, "1.0.0", pkg3, "x64;1033", func(db tables) {
		db["Upgrade"] = nil
		db["Component"][1]["ComponentId"] = "{55555555-5555-5555-5555-555555555555}"
	})
	for _, tc := range []struct {
		second *simulate.Package
		kept   bool
	}{{shared, true}, {other, false}} {
		m := simulate.NewMachine()
		mustInstall(t, m, a, nil)
		mustInstall(t, m, tc.second, nil)
		if out, _ := m.Uninstall(code1, simulate.AccountUser, nil); out.Exit != 0 {
			t.Fatalf("uninstall: %d", out.Exit)
		}
		_, ok := m.Value("HKCU", simulate.AccountUser, "", settings, "Version")
		if ok != tc.kept {
			t.Errorf("second package %s: settings kept %v, want %v", tc.second.PackageCode, ok, tc.kept)
		}
	}
}

// A failed upgrade rolls back: the old product's uninstall is refused by
// its own launch condition, so nothing changes.
func TestFailedUpgradeRollsBack(t *testing.T) {
	v1 := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) {
		db["LaunchCondition"] = append(db["LaunchCondition"], simulate.Row{"Condition": "NOT UPGRADINGPRODUCTCODE", "Description": "cannot be upgraded"})
	})
	v2 := product(t, code2, "2.0.0", pkg2, "x64;1033", nil)
	m := simulate.NewMachine()
	mustInstall(t, m, v1, nil)
	before := m.Dump()
	out := exec(t, m, v2, nil)
	if out.Exit != simulate.ExitFailure || !strings.Contains(out.Message, "cannot be upgraded") || m.Dump() != before {
		t.Errorf("exit %d %q, changed %v", out.Exit, out.Message, m.Dump() != before)
	}
}

// The other context's msiexec /i of an installed ProductCode works on the
// existing registration: the per-machine product stays the only one and
// HKMU values go to HKLM. The ALLUSERS property keeps the command line's
// value (no page says Windows Installer sets it on a maintenance run), so
// a package whose remembered-value copy depends on ALLUSERS="1" (this
// fixture's) loses RUN on a repair started without it: the Run value goes.
// The console package's copies depend on Installed instead
// (matrix.CondMachineValues).
func TestMaintenanceTakesRegisteredContext(t *testing.T) {
	p := product(t, code1, "1.0.0", pkg1, "x64;1033", nil)
	m := simulate.NewMachine()
	mustInstall(t, m, p, map[string]string{"ALLUSERS": "1", "RUN": "1"})
	out := exec(t, m, p, nil)
	if out.Mode != simulate.ModeMaintenance || out.Result.Properties["ALLUSERS"] != "" || len(m.Products) != 1 || !m.Products[0].PerMachine {
		t.Errorf("mode %s ALLUSERS=%q products %v", out.Mode, out.Result.Properties["ALLUSERS"], m.Products)
	}
	out, err := m.Repair(code1, simulate.AccountUser)
	if err != nil || out.Exit != 0 {
		t.Fatalf("repair: %v %+v", err, out)
	}
	if _, ok := m.Value("HKCU", simulate.AccountUser, "", settings, "Version"); ok {
		t.Error("the repair of a per-machine product wrote HKMU values under HKCU")
	}
	if v, _ := m.Value("HKLM", "", "64", settings, "Run"); v != "" || runValue(m, "HKLM", "64") {
		t.Errorf("the ALLUSERS-conditioned copy ran on a repair without ALLUSERS: RUN=%q, Run value %v", v, runValue(m, "HKLM", "64"))
	}
	robust := product(t, code1, "1.0.0", pkg1, "x64;1033", func(db tables) {
		db["InstallExecuteSequence"][3]["Condition"] = `NOT RUN AND ((NOT Installed AND ALLUSERS="1") OR (Installed AND NOT UserRun))`
	})
	m = simulate.NewMachine()
	mustInstall(t, m, robust, map[string]string{"ALLUSERS": "1", "RUN": "1"})
	if out, _ := m.Repair(code1, simulate.AccountUser); out.Exit != 0 || !runValue(m, "HKLM", "64") {
		t.Errorf("repair with the Installed-based copy: exit %d, Run value %v", out.Exit, runValue(m, "HKLM", "64"))
	}
}
