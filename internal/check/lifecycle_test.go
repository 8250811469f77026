package check_test

import (
	"context"
	"strconv"
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

var zeroDefaults = matrix.Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"}

// buildVersion builds the example console for arch at version.
func buildVersion(t *testing.T, arch, version string) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, arch)
	if version != "" {
		c.Product.Version = version
	}
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return arts[0].Path
}

func fileReport(t *testing.T, path string, opts check.Options) *check.Report {
	t.Helper()
	rep, err := check.File(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// line finds the report line whose input starts with id.
func line(rep *check.Report, id string) (check.Line, bool) {
	for _, l := range rep.Lines {
		if strings.HasPrefix(l.Input, id+":") || l.Input == id {
			return l, true
		}
	}
	return check.Line{}, false
}

// TestLifecyclePasses: the packages msiforge builds pass every first
// install, omitted-property and lifecycle scenario, as x86 and x64.
func TestLifecyclePasses(t *testing.T) {
	for _, arch := range []string{"x86", "x64"} {
		rep := fileReport(t, buildVersion(t, arch, ""), check.Options{Defaults: zeroDefaults})
		want := 1 + 38 + 20 + 40 // table rules, first installs, omitted properties, lifecycle
		if rep.Failed() != 0 || len(rep.Lines) != want {
			t.Errorf("%s: %d lines (want %d), %d failed:\n%s", arch, len(rep.Lines), want, rep.Failed(), rep.Text())
		}
	}
}

// TestUpgradeFrom plays the upgrade scenarios between real builds: 1.4.2
// to 1.5.0 in each context (kept settings, other context refused), and x64
// 1.4.2 over x86 1.4.2 (refused, naming the installed product code).
func TestUpgradeFrom(t *testing.T) {
	old := buildVersion(t, "x64", "")
	next := buildVersion(t, "x64", "1.5.0")
	rep := fileReport(t, next, check.Options{Defaults: zeroDefaults, UpgradeFrom: old})
	for _, id := range []string{"per-user/upgrade", "per-machine/upgrade", "per-user/upgrade-other-context", "per-machine/upgrade-other-context"} {
		if l, ok := line(rep, id); !ok || !l.OK {
			t.Errorf("%s: %+v (found %v)\n%s", id, l, ok, rep.Text())
		}
	}
	if rep.Failed() != 0 {
		t.Errorf("1.4.2 -> 1.5.0:\n%s", rep.Text())
	}

	x86 := buildVersion(t, "x86", "")
	rep = fileReport(t, old, check.Options{Defaults: zeroDefaults, UpgradeFrom: x86})
	for _, id := range []string{"per-user/same-version-other-arch", "per-machine/same-version-other-arch", "per-user/same-version-other-arch-other-context"} {
		if l, ok := line(rep, id); !ok || !l.OK {
			t.Errorf("%s: %+v (found %v)\n%s", id, l, ok, rep.Text())
		}
	}

	// A downgrade given as an upgrade is reported, not played.
	rep = fileReport(t, old, check.Options{Defaults: zeroDefaults, UpgradeFrom: next})
	if l, ok := line(rep, "upgrade from "+baseName(next)); !ok || l.OK || !strings.Contains(strings.Join(l.Problems, ";"), "downgrade") {
		t.Errorf("downgrade not reported:\n%s", rep.Text())
	}
}

// TestUpgradeAcrossArchitectures: a per-machine major upgrade from the x86
// package to the x64 one keeps the remembered settings. The x86 install
// wrote them in HKLM's 32-bit view, which the x64 package's own searches
// do not read; before the other-view fallback, per-machine/upgrade
// reinstalled with the defaults (Program Files, no Run value).
func TestUpgradeAcrossArchitectures(t *testing.T) {
	for _, c := range []struct{ from, to string }{{"x86", "x64"}, {"x64", "x86"}} {
		old := buildVersion(t, c.from, "")
		next := buildVersion(t, c.to, "1.5.0")
		rep := fileReport(t, next, check.Options{Defaults: zeroDefaults, UpgradeFrom: old})
		for _, id := range []string{"per-user/upgrade", "per-machine/upgrade", "per-user/upgrade-other-context", "per-machine/upgrade-other-context"} {
			if l, ok := line(rep, id); !ok || !l.OK {
				t.Errorf("%s 1.4.2 -> %s 1.5.0: %s: %+v (found %v)", c.from, c.to, id, l, ok)
			}
		}
		if rep.Failed() != 0 {
			t.Errorf("%s 1.4.2 -> %s 1.5.0:\n%s", c.from, c.to, rep.Text())
		}
	}
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// mutate copies base and applies SQL statements to the copy.
func mutate(t *testing.T, base string, sql ...string) string {
	t.Helper()
	path := t.TempDir() + "/mutant.msi"
	if err := packaging.CopyFile(base, path); err != nil {
		t.Fatal(err)
	}
	if err := msitools.Query(context.Background(), execx.OS{}, path, sql...); err != nil {
		t.Fatal(err)
	}
	return path
}

// rowWhere reads a table of path and returns the first row whose column
// col contains sub.
func rowWhere(t *testing.T, path, table, col, sub string) map[string]string {
	t.Helper()
	f, err := msi.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(table)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.Contains(r[col], sub) {
			return r
		}
	}
	t.Fatalf("%s has no %s row whose %s contains %q", path, table, col, sub)
	return nil
}

// TestLifecycleMutants breaks each package rule of issue 11 with an
// msibuild edit of a good MSI, and checks that matrix --check fails on the
// scenario that rule is for, with a problem specific to it.
func TestLifecycleMutants(t *testing.T) {
	base := buildVersion(t, "x64", "")
	if rep := fileReport(t, base, check.Options{Defaults: zeroDefaults}); rep.Failed() != 0 {
		t.Fatalf("the base MSI fails already:\n%s", rep.Text())
	}
	deleteLC := func(marker string) []string {
		r := rowWhere(t, base, "LaunchCondition", "Condition", marker)
		return []string{"DELETE FROM `LaunchCondition` WHERE `Condition` = " + msitools.Quote(r["Condition"])}
	}
	run := rowWhere(t, base, "Component", "Condition", matrix.PropRunAtStartup)
	runAttrs, err := strconv.Atoi(run["Attributes"])
	if err != nil {
		t.Fatal(err)
	}
	validRun := rowWhere(t, base, "LaunchCondition", "Condition", `RUNATSTARTUP="0"`)

	mutants := []struct {
		name string
		sql  []string
		id   string // the scenario that must fail
		want string // in its problems
	}{
		{"values validated only on a first install (Installed OR ...)",
			append(deleteLC(`RUNATSTARTUP="0"`), "INSERT INTO `LaunchCondition` (`Condition`, `Description`) VALUES ("+
				msitools.Quote(`Installed OR RUNATSTARTUP="0" OR RUNATSTARTUP="1"`)+", "+msitools.Quote(validRun["Description"])+")"),
			"per-user/rerun-invalid-runatstartup", "exit 0, want refused"},
		{"remembered values read from the other context's hive",
			[]string{"UPDATE `RegLocator` SET `Root` = 1 WHERE `Root` = 2"},
			"per-machine/change-keeps-omitted", "settings value"},
		{"per-user run allowed beside a per-machine install",
			deleteLC("NOT MachineInstallDir"),
			"per-machine/next-version-other-context", "exit 0, want refused"},
		{"per-machine run allowed beside the account's per-user install",
			deleteLC("NOT UserInstallDir"),
			"per-user/next-version-other-context", "exit 0, want refused"},
		{"Run component not transitive",
			[]string{"UPDATE `Component` SET `Attributes` = " + strconv.Itoa(runAttrs&^0x40) + " WHERE `Component` = " + msitools.Quote(run["Component"])},
			"per-user/change-run-off", "Run value"},
		{"INSTALLDIR change not refused",
			deleteLC("INSTALLDIR~="),
			"per-user/installdir-change-refused", "exit 0, want refused"},
		{"same version of another build not detected",
			[]string{"DELETE FROM `Upgrade` WHERE `ActionProperty` = 'SAMEVERSIONDETECTED'"},
			"per-machine/same-version-other-build", "exit 0, want refused"},
		// A repair of a per-machine install started without ALLUSERS=1
		// (msiexec /f, Add/Remove Programs, a self-repair): the simulator
		// keeps the command line's ALLUSERS on a maintenance run, since no
		// page says Windows sets it.
		{"other-context refusal on a maintenance run (no Installed OR)",
			append(deleteLC("NOT MachineInstallDir"), "INSERT INTO `LaunchCondition` (`Condition`, `Description`) VALUES ("+
				msitools.Quote(`REMOVE~="ALL" OR ALLUSERS="1" OR (NOT MachineInstallDir AND NOT MachineInstallDirOtherView)`)+", 'per-machine install exists')"),
			"per-machine/repair", "want exit 0"},
		{"per-machine value copied only when ALLUSERS=1",
			[]string{"UPDATE `InstallExecuteSequence` SET `Condition` = " + msitools.Quote(`NOT RUNATSTARTUP AND ALLUSERS="1" AND MachineRunAtStartup`) + " WHERE `Action` = 'UseMachineRunAtStartup'"},
			"per-machine/repair", `settings value RunAtStartup="0", want "1"`},
		{"omitted RUNATSTARTUP defaults to 1 (config says 0)",
			[]string{"UPDATE `CustomAction` SET `Target` = '1' WHERE `Action` = 'DefaultRunAtStartup'"},
			"per-user/no-runatstartup+no-shouldautoupdate", `settings value RunAtStartup="1", want "0"`},
		{"no-impersonate bit on an immediate action",
			[]string{"UPDATE `CustomAction` SET `Type` = 2099 WHERE `Action` = 'SetUserInstallDir'"},
			"no immediate custom action carries 0x800 (no-impersonate)", "SetUserInstallDir (type 2099)"},
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			rep := fileReport(t, mutate(t, base, m.sql...), check.Options{Defaults: zeroDefaults})
			l, ok := line(rep, m.id)
			if !ok {
				t.Fatalf("no line %q:\n%s", m.id, rep.Text())
			}
			if l.OK {
				t.Fatalf("the checker passed %q on the mutant:\n%s", m.id, rep.Text())
			}
			if p := strings.Join(l.Problems, "; "); !strings.Contains(p, m.want) {
				t.Errorf("%s: problems %q lack %q", m.id, p, m.want)
			}
		})
	}
}

// TestMissingTables: a package without what the checks read fails and
// names it (an MSI without a Property table used to pass 38 of 38).
func TestMissingTables(t *testing.T) {
	base := buildVersion(t, "x64", "")
	for _, m := range []struct{ sql, want string }{
		{"DROP TABLE `Property`", "table Property"},
		{"DELETE FROM `Property` WHERE `Property` = 'UpgradeCode'", "property UpgradeCode"},
		{"DROP TABLE `RegLocator`", "table RegLocator"},
		{"DELETE FROM `InstallExecuteSequence` WHERE `Action` = 'LaunchConditions'", "InstallExecuteSequence action LaunchConditions"},
	} {
		rep := fileReport(t, mutate(t, base, m.sql), check.Options{Defaults: zeroDefaults})
		if rep.Failed() == 0 || !strings.Contains(rep.Text(), m.want) {
			t.Errorf("%s: want a failure naming %q:\n%s", m.sql, m.want, rep.Text())
		}
	}
}

// TestDefaultsFollowConfig: with defaults of 1, an omitted RUNATSTARTUP
// must install the Run value; the package built with 0 fails that.
func TestDefaultsFollowConfig(t *testing.T) {
	base := buildVersion(t, "x64", "")
	rep := fileReport(t, base, check.Options{Defaults: matrix.Defaults{RunAtStartup: "1", ShouldAutoUpdate: "0"}})
	l, ok := line(rep, "per-user/no-runatstartup+no-shouldautoupdate")
	if !ok || l.OK || !strings.Contains(strings.Join(l.Problems, ";"), `RunAtStartup="0", want "1"`) {
		t.Errorf("defaults 1 not enforced: %+v\n%s", l, rep.Text())
	}
}
