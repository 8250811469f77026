package check_test

import (
	"context"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

func build(t *testing.T, arch string) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, arch)
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return arts[0].Path
}

func checkMSI(t *testing.T, path, template string) *check.Report {
	t.Helper()
	f, err := msi.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := check.Console(f, template)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestConsoleMSIsPass: the MSIs msiforge builds satisfy every combination.
func TestConsoleMSIsPass(t *testing.T) {
	for arch, tpl := range map[string]string{"x86": "Intel;1033", "x64": "x64;1033"} {
		rep := checkMSI(t, build(t, arch), tpl)
		if rep.Failed() != 0 || len(rep.Lines) != 38 {
			t.Errorf("%s: %d lines, %d failed:\n%s", arch, len(rep.Lines), rep.Failed(), rep.Text())
		}
	}
}

// TestMutantsFail alters a built MSI's tables the way a template bug
// would, and checks the checker notices each one.
func TestMutantsFail(t *testing.T) {
	mutants := []struct {
		name, sql, want string
	}{
		{"Run component unconditional",
			"UPDATE `Component` SET `Condition` = '' WHERE `Component` = 'RunAtStartup'",
			"Run value written: true, want false"},
		{"auto-update for all-users installs",
			"UPDATE `InstallExecuteSequence` SET `Condition` = 'SHOULDAUTOUPDATE=\"1\"' WHERE `Action` = 'AutoUpdateOn'",
			"effective auto-update 1, want 0"},
		{"registry under HKLM always",
			"UPDATE `Registry` SET `Root` = 2 WHERE `Root` = -1",
			"to HKLM, want HKCU"},
		// Both: without SetUserInstallDir, INSTALLDIR still lands under
		// the vendor folder that SetUserManufacturerDir moves into the
		// user's local app data.
		{"no per-user folder",
			"DELETE FROM `InstallExecuteSequence` WHERE `Action` = 'SetUserInstallDir'\n" +
				"DELETE FROM `InstallExecuteSequence` WHERE `Action` = 'SetUserManufacturerDir'",
			"is not under LocalAppDataFolder"},
		{"ALLUSERS not checked",
			"DELETE FROM `LaunchCondition` WHERE `Condition` = " + msitools.Quote(matrix.CondValidAllUsers),
			`ALLUSERS="3" (not allowed)`},
	}
	base := build(t, "x64")
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			path := t.TempDir() + "/mutant.msi"
			if err := packaging.CopyFile(base, path); err != nil {
				t.Fatal(err)
			}
			if err := msitools.Query(context.Background(), execx.OS{}, path, strings.Split(m.sql, "\n")...); err != nil {
				t.Fatal(err)
			}
			rep := checkMSI(t, path, "x64;1033")
			if rep.Failed() == 0 {
				t.Fatalf("the checker passed a mutant:\n%s", rep.Text())
			}
			if !strings.Contains(rep.Text(), m.want) {
				t.Errorf("report lacks %q:\n%s", m.want, rep.Text())
			}
		})
	}
}
