package lint_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

// demo builds the example's nine MSIs (console and both VSC packages for
// x86, x64 and arm64) with the real toolchain, lint included, and returns
// them by file name.
func demo(t *testing.T) map[string]string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExampleWithVSC(t, "x86", "x64", "arm64")
	exe := false
	c.Console.EXE = &exe
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range arts {
		if strings.HasSuffix(a.Path, ".msi") {
			out[filepath.Base(a.Path)] = a.Path
		}
	}
	if len(out) != 9 {
		t.Fatalf("built %d MSIs, want 9: %v", len(out), out)
	}
	return out
}

// TestDemoPackagesPass: the demo's nine packages have no error-level
// finding under any rule, and exactly the warnings reviewed in issue 16:
// the console's shortcut names the program's file in another component of
// the same feature (ICE69) and its program files keep file key paths in the
// per-user folder (MSF001). The VSC packages have none (their driver
// actions are deferred type 2; the immediate set-property actions that
// earned ICE68 are gone, issue 13).
func TestDemoPackagesPass(t *testing.T) {
	for name, path := range demo(t) {
		fs, err := lint.CheckFile(path, lint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		if !strings.Contains(name, "vsc") {
			want = map[string]int{"ICE69": 1, "MSF001": 2}
		}
		got := map[string]int{}
		for _, f := range fs {
			got[f.Rule]++
			if f.Level == lint.Error {
				t.Errorf("%s: %s", name, f)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: findings %v, want %v", name, got, want)
		}
		for r, n := range want {
			if got[r] != n {
				t.Errorf("%s: %d %s findings, want %d: %v", name, got[r], r, n, fs)
			}
		}
	}
}

// TestMutantsFail breaks each rule in a copy of a demo package with
// msibuild, and checks the rule reports the row at fault.
func TestMutantsFail(t *testing.T) {
	pkgs := demo(t)
	console, consoleX86, vscPkg := pkgs["example-console-1.4.2-x64.msi"], pkgs["example-console-1.4.2-x86.msi"], pkgs["example-console-vsc-customer-1.4.2-x64.msi"]
	mutants := []struct {
		rule  string
		level lint.Level
		base  string
		sql   []string
		key   string // the finding's row key
		msg   string // part of its message
	}{
		{"ICE03", lint.Error, console, []string{"UPDATE `File` SET `Component_` = 'Nope' WHERE `File` = 'F_README.txt_9E6E4772'"}, "F_README.txt_9E6E4772", "Not a valid foreign key; Table: File, Column: Component_"},
		{"ICE03", lint.Error, console, []string{"UPDATE `Component` SET `ComponentId` = '{f1bdaded-c8b6-5559-9379-887b6596a32c}' WHERE `Component` = 'Settings'"}, "Settings", "Invalid GUID string"},
		{"ICE03", lint.Error, console, []string{"UPDATE `Registry` SET `Value` = '[INSTALLDIR' WHERE `Registry` = 'reg618EFC1E578F13D498E305920D1ED643'"}, "reg618EFC1E578F13D498E305920D1ED643", "Invalid format string; Table: Registry, Column: Value"},
		{"ICE03", lint.Error, console, []string{"UPDATE `Shortcut` SET `Target` = '[#F_Gone]' WHERE `Shortcut` = 'ConsoleShortcut'"}, "ConsoleShortcut", "Invalid format string: [#F_Gone] names no file; Table: Shortcut, Column: Target"},
		{"ICE03", lint.Error, console, []string{"UPDATE `InstallExecuteSequence` SET `Condition` = 'NOT (INSTALLDIR' WHERE `Action` = 'SetUserInstallDir'"}, "SetUserInstallDir", "Invalid condition string"},
		{"ICE08", lint.Error, console, []string{"UPDATE `Component` SET `ComponentId` = '{050BD936-7B30-5270-BB6E-DFD581F81367}' WHERE `Component` = 'Settings'"}, "", "has a duplicate GUID: {050BD936-7B30-5270-BB6E-DFD581F81367}"},
		{"ICE09", lint.Warning, console, []string{"UPDATE `Component` SET `Directory_` = 'SystemFolder' WHERE `Component` = 'Settings'"}, "Settings", "is a non-permanent system component"},
		{"ICE16", lint.Error, console, []string{"UPDATE `Property` SET `Value` = '" + strings.Repeat("n", 64) + "' WHERE `Property` = 'ProductName'"}, "ProductName", "Current length: 64"},
		{"ICE18", lint.Error, console, []string{"UPDATE `Component` SET `KeyPath` = '' WHERE `Component` = 'RunAtStartup'"}, "RunAtStartup", "The Directory/Component pair must be listed in the CreateFolders table."},
		{"ICE21", lint.Error, console, []string{"DELETE FROM `FeatureComponents` WHERE `Component_` = 'Settings'"}, "Settings", "does not belong to any Feature."},
		{"ICE24", lint.Error, console, []string{"UPDATE `Property` SET `Value` = '1.256.2' WHERE `Property` = 'ProductVersion'"}, "ProductVersion", "is an invalid version string"},
		{"ICE27", lint.Error, console, []string{"UPDATE `InstallExecuteSequence` SET `Sequence` = 1450 WHERE `Action` = 'InstallFiles'"}, "InstallFiles", "Required: between InstallInitialize and InstallFinalize"},
		{"ICE30", lint.Error, console, []string{"UPDATE `File` SET `FileName` = 'ExampleConsole.exe' WHERE `File` = 'F_README.txt_9E6E4772'"}, "", "by two different components on an LFN system"},
		{"ICE32", lint.Error, console, []string{
			"DROP TABLE `CreateFolder`",
			"CREATE TABLE `CreateFolder` (`Directory_` CHAR(50) NOT NULL, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Directory_`, `Component_`)"}, "CreateFolder.Directory_", "Possible Mis-Aligned Foreign Keys: CreateFolder.Directory_ = s50, Directory.Directory = s72"},
		{"ICE38", lint.Error, console, []string{"UPDATE `Component` SET `Directory_` = 'ShortcutFolder' WHERE `Component` = 'C_README.txt_9E6E4772'"}, "C_README.txt_9E6E4772", "installs to user profile. It must use a registry key under HKCU as its KeyPath, not a file."},
		{"ICE43", lint.Error, console, []string{"UPDATE `Registry` SET `Root` = 2 WHERE `Registry` = 'reg21205BF79C6099517E12E4CE3814FA59'"}, "StartMenuShortcut", "has non-advertised shortcuts"},
		{"ICE45", lint.Warning, console, []string{"UPDATE `Component` SET `Attributes` = 8452 WHERE `Component` = 'Settings'"}, "Settings", "has bits set in the 'Attributes' column that are reserved"},
		{"ICE46", lint.Warning, console, []string{"UPDATE `InstallExecuteSequence` SET `Condition` = 'NOT INSTALLDIR AND NOT AllUsers' WHERE `Action` = 'SetUserInstallDir'"}, "SetUserInstallDir", "Property 'AllUsers' referenced in column 'InstallExecuteSequence'.'Condition'"},
		{"ICE47", lint.Error, console, manyComponents(1601), "Console", "Feature 'Console' has 1606 components."},
		{"ICE57", lint.Error, console, []string{"INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) VALUES ('regHKCU', 1, 'Software', 'n', 'v', 'C_ExampleConsole.exe_007D4B1B')"}, "C_ExampleConsole.exe_007D4B1B", "has both per-user and per-machine data with a per-machine KeyPath."},
		{"ICE61", lint.Error, console, []string{"UPDATE `Property` SET `Value` = 'INSTALLDIR' WHERE `Property` = 'SecureCustomProperties'"}, "", "Upgrade.ActionProperty WIX_UPGRADE_DETECTED must be added to the SecureCustomProperties property"},
		{"ICE61", lint.Warning, console, []string{
			"DELETE FROM `Upgrade` WHERE `ActionProperty` = 'SAMEVERSIONDETECTED'",
			"INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Attributes`, `ActionProperty`) VALUES ('{3F6C1B0E-8E4A-4C53-9D0B-6A1E2F3C4D5E}', '1.4.2', '1.4.2', 768, 'SAMEVERSIONDETECTED')"}, "", "This product should remove only older versions of itself."},
		{"ICE63", lint.Warning, vscPkg, []string{"UPDATE `InstallExecuteSequence` SET `Sequence` = 1700 WHERE `Action` = 'RemoveExistingProducts'"}, "ProcessComponents", "Some action falls between InstallInitialize and RemoveExistingProducts."},
		{"ICE64", lint.Error, console, []string{"DELETE FROM `RemoveFile` WHERE `FileKey` = 'RemoveShortcutFolder'"}, "ShortcutFolder", "is in the user profile but is not listed in the RemoveFile table."},
		{"ICE68", lint.Error, console, []string{"UPDATE `CustomAction` SET `Type` = 1027 WHERE `Action` = 'AutoUpdateOff'"}, "AutoUpdateOff", "1027 is not a valid action type."},
		{"ICE68", lint.Warning, console, []string{"UPDATE `CustomAction` SET `Type` = 2099 WHERE `Action` = 'AutoUpdateOff'"}, "AutoUpdateOff", "it will not be run with elevated privileges because it's not deferred"},
		{"ICE69", lint.Error, console, []string{
			"INSERT INTO `Feature` (`Feature`, `Display`, `Level`, `Attributes`) VALUES ('Other', 0, 1, 0)",
			"DELETE FROM `FeatureComponents` WHERE `Component_` = 'C_ExampleConsole.exe_007D4B1B'",
			"INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Other', 'C_ExampleConsole.exe_007D4B1B')"}, "ConsoleShortcut", "Components belong to different features"},
		{"ICE73", lint.Warning, console, []string{"UPDATE `Property` SET `Value` = '{80F7E030-A751-11D2-A7D4-006097C99860}' WHERE `Property` = 'ProductCode'"}, "ProductCode", "ProductCode of the orca.msi 1.0 Windows Installer SDK package."},
		{"ICE73", lint.Warning, console, []string{"UPDATE `Property` SET `Value` = '{8FC70000-88A0-4B41-82B8-8905D4AA904C}' WHERE `Property` = 'UpgradeCode'"}, "UpgradeCode", "Upgrade Code of a 1.1 Windows Installer SDK package."},
		{"ICE80", lint.Error, consoleX86, []string{"UPDATE `Component` SET `Attributes` = 260 WHERE `Component` = 'Settings'"}, "Settings", "This package contains 64 bit component 'Settings'"},
		{"ICE90", lint.Warning, console, []string{
			"INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('SHORTCUTDIR', 'ProgramMenuFolder', 'Example')",
			"UPDATE `Shortcut` SET `Directory_` = 'SHORTCUTDIR' WHERE `Shortcut` = 'ConsoleShortcut'"}, "ConsoleShortcut", "has a directory that is a public property (ALL CAPS) and is under user profile directory"},
		{"ICE91", lint.Warning, console, []string{
			"INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('LocalAppDataFolder', 'TARGETDIR', '.')",
			"UPDATE `Component` SET `Directory_` = 'LocalAppDataFolder' WHERE `Component` = 'C_README.txt_9E6E4772'"}, "F_README.txt_9E6E4772", "doesn't vary based on ALLUSERS value"},
		{"ICE99", lint.Error, console, []string{"INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('AdminUser', 'TARGETDIR', 'Admin')"}, "AdminUser", "is the same as one of the MSI Public Properties"},
		{"ICE105", lint.Error, console, []string{"UPDATE `Registry` SET `Root` = 2 WHERE `Registry` = 'reg618EFC1E578F13D498E305920D1ED643'"}, "reg618EFC1E578F13D498E305920D1ED643", "HKEY_LOCAL_MACHINE"},
		{"ICE105", lint.Error, console, []string{"UPDATE `CustomAction` SET `Type` = 3123 WHERE `Action` = 'AutoUpdateOff'"}, "AutoUpdateOff", "elevated privileges"},
		{"ICE102", lint.Error, vscPkg, []string{
			"CREATE TABLE `MsiServiceConfig` (`MsiServiceConfig` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Event` SHORT NOT NULL, `ConfigType` LONG NOT NULL, `Argument` CHAR(0), `Component_` CHAR(72) NOT NULL PRIMARY KEY `MsiServiceConfig`)",
			"INSERT INTO `MsiServiceConfig` (`MsiServiceConfig`, `Name`, `Event`, `ConfigType`, `Argument`, `Component_`) VALUES ('DelayedStart', 'RemoteSupportVscCust', 1, 3, '2', 'VscService')"}, "DelayedStart", "Argument = 2 is not a valid SERVICE_CONFIG_DELAYED_AUTO_START parameter. It should be 0 or 1."},
		{"ICE102", lint.Error, vscPkg, []string{
			"CREATE TABLE `MsiServiceConfigFailureActions` (`MsiServiceConfigFailureActions` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Event` SHORT NOT NULL, `ResetPeriod` LONG, `RebootMessage` CHAR(255) LOCALIZABLE, `Command` CHAR(255) LOCALIZABLE, `Actions` CHAR(255), `DelayActions` CHAR(255), `Component_` CHAR(72) NOT NULL PRIMARY KEY `MsiServiceConfigFailureActions`)",
			"INSERT INTO `MsiServiceConfigFailureActions` (`MsiServiceConfigFailureActions`, `Name`, `Event`, `Actions`, `DelayActions`, `Component_`) VALUES ('Restart', 'RemoteSupportVscCust', 1, '1[~]1', '5000', 'VscService')"}, "Restart", "Actions lists 2 values and DelayActions 1"},
		// ICE105 applies only to packages that can install per-user: the VSC
		// package (ALLUSERS=1, a service) passes, and fails once ALLUSERS goes.
		{"ICE105", lint.Error, vscPkg, []string{"DELETE FROM `Property` WHERE `Property` = 'ALLUSERS'"}, "VscServiceInstall", "a per-user package cannot install services"},
		{"MSF002", lint.Error, console, []string{"DELETE FROM `RemoveFile` WHERE `FileKey` = 'RemoveInstallDir'"}, "INSTALLDIR", "custom action SetUserInstallDir sets it to [LocalAppDataFolder]"},
		{"MSF003", lint.Error, vscPkg, []string{"UPDATE `ServiceInstall` SET `StartType` = 0"}, "VscServiceInstall", "StartType 0 is not SERVICE_AUTO_START"},
	}
	for _, m := range mutants {
		t.Run(m.rule+" "+m.msg, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mutant.msi")
			if err := packaging.CopyFile(m.base, path); err != nil {
				t.Fatal(err)
			}
			before, err := lint.CheckFile(m.base, lint.Options{Rules: []string{m.rule}})
			if err != nil {
				t.Fatal(err)
			}
			if err := msitools.Query(context.Background(), execx.OS{}, path, m.sql...); err != nil {
				t.Fatal(err)
			}
			fs, err := lint.CheckFile(path, lint.Options{Rules: []string{m.rule}})
			if err != nil {
				t.Fatal(err)
			}
			match := func(fs []lint.Finding) bool {
				for _, f := range fs {
					if f.Rule == m.rule && f.Level == m.level && strings.Contains(f.Message, m.msg) && (m.key == "" || f.Key == m.key) {
						return true
					}
				}
				return false
			}
			if match(before) {
				t.Fatalf("the demo package already has the finding: %v", before)
			}
			if !match(fs) {
				t.Errorf("no %s %s finding on %s containing %q; got %v (before the edit: %v)", m.rule, m.level, m.key, m.msg, fs, before)
			}
			if ign, err := lint.CheckFile(path, lint.Options{Ignore: []string{m.rule}}); err != nil {
				t.Fatal(err)
			} else {
				for _, f := range ign {
					if f.Rule == m.rule {
						t.Errorf("--ignore %s still reports %s", m.rule, f)
					}
				}
			}
		})
	}
}

// manyComponents adds n folder components to the console's feature.
func manyComponents(n int) []string {
	var sql []string
	for i := range n {
		sql = append(sql,
			fmt.Sprintf("INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`) VALUES ('Extra%d', '{00000000-0000-0000-0000-%012d}', 'INSTALLDIR', 256)", i, i),
			fmt.Sprintf("INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Console', 'Extra%d')", i))
	}
	return sql
}

// TestGate: build's gate fails on an error-level finding (wrapping
// ErrFindings, exit 3) unless its rule is ignored, and passes warnings on.
func TestGate(t *testing.T) {
	base := demo(t)["example-console-1.4.2-x64.msi"]
	path := filepath.Join(t.TempDir(), "mutant.msi")
	if err := packaging.CopyFile(base, path); err != nil {
		t.Fatal(err)
	}
	if err := msitools.Query(context.Background(), execx.OS{}, path, "DELETE FROM `FeatureComponents` WHERE `Component_` = 'Settings'"); err != nil {
		t.Fatal(err)
	}
	var warns []string
	err := lint.Gate(path, nil, func(s string) { warns = append(warns, s) })
	if !errors.Is(err, lint.ErrFindings) || !strings.Contains(err.Error(), "ICE21 error: Component.Settings: Component: 'Settings' does not belong to any Feature.") {
		t.Errorf("Gate = %v", err)
	}
	if len(warns) != 3 { // ICE69 and MSF001 twice
		t.Errorf("warnings %q", warns)
	}
	if err := lint.Gate(path, []string{"ICE21"}, nil); err != nil {
		t.Errorf("Gate ignoring ICE21 = %v", err)
	}
	if _, err := lint.CheckFile(path, lint.Options{Rules: []string{"ICE999"}}); err == nil || !strings.Contains(err.Error(), `unknown rule "ICE999"`) {
		t.Errorf("unknown rule: %v", err)
	}
}
