package verifykit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/verifykit"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging"
)

var zero = matrix.Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"}

// buildX64 builds the demo's x64 console MSI.
func buildX64(t *testing.T) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, "x64")
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{Archs: []string{"x64"}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if strings.HasSuffix(a.Path, ".msi") {
			return a.Path
		}
	}
	t.Fatalf("no MSI among %v", arts)
	return ""
}

// msiforge runs the CLI in process.
func msiforge(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// TestKitFromScenarioTable: the kit's expectations are matrix.Scenarios,
// one for one, with Wine's outcome exactly for matrix.WineDiffers, the
// Local System ones skipped; the derived packages carry the codes the
// expectations name; the script uses neither PowerShell nor WMI.
func TestKitFromScenarioTable(t *testing.T) {
	base := buildX64(t)
	dir := filepath.Join(t.TempDir(), "kit")
	exp, err := verifykit.Write(context.Background(), execx.OS{}, verifykit.Options{MSIs: []string{base}, Out: dir, Defaults: zero})
	if err != nil {
		t.Fatal(err)
	}
	var want []matrix.Scenario
	for _, sc := range matrix.Scenarios(zero) {
		if sc.Group != matrix.GroupUpgrade {
			want = append(want, sc)
		}
	}
	if len(exp.Scenarios) != len(want) {
		t.Fatalf("%d kit scenarios, %d in the table", len(exp.Scenarios), len(want))
	}
	wine := matrix.WineDiffers()
	for i, sc := range want {
		k := exp.Scenarios[i]
		if k.ID != "s1/"+sc.ID || k.Windows.Exit != sc.Want.Exit || k.Windows.Run != sc.Want.Run {
			t.Errorf("kit scenario %d: %s %+v, table %s %+v", i, k.ID, k.Windows, sc.ID, sc.Want)
		}
		if _, ok := wine[sc.ID]; ok != (k.Wine != nil) {
			t.Errorf("%s: Wine expectation %v, in WineDiffers %v", k.ID, k.Wine != nil, ok)
		}
		if (sc.Step.As == matrix.ContextSystem) != (k.Skip != "") {
			t.Errorf("%s: skip %q, as %s", k.ID, k.Skip, sc.Step.As)
		}
	}
	for name, p := range exp.Subjects[0].Packages {
		f, err := msi.Open(filepath.Join(dir, strings.ReplaceAll(p.File, `\`, "/")))
		if err != nil {
			t.Fatal(err)
		}
		props, _ := f.Properties()
		sum, _ := f.Summary()
		f.Close()
		if !strings.EqualFold(props["ProductCode"], p.ProductCode) || !strings.EqualFold(sum.PackageCode, p.PackageCode) || props["ProductVersion"] != p.Version {
			t.Errorf("%s: %s %s %s in the MSI, %+v in expected.json", name, props["ProductCode"], sum.PackageCode, props["ProductVersion"], p)
		}
	}
	script, err := os.ReadFile(filepath.Join(dir, verifykit.ScriptName))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"powershell", "wmic", "Win32_Product", "Get-CimInstance"} {
		if bytes.Contains(bytes.ToLower(script), bytes.ToLower([]byte(bad))) {
			t.Errorf("the script uses %s", bad)
		}
	}
	if !bytes.Contains(script, []byte("\r\n")) {
		t.Error("the script has no CRLF line ends")
	}
}

// TestWriteBadInput: no MSI, a non-MSI, a pattern matching nothing: an
// error naming the input, and no kit folder left.
func TestWriteBadInput(t *testing.T) {
	root := t.TempDir()
	notMSI := filepath.Join(root, "x.msi")
	if err := os.WriteFile(notMSI, []byte("not an msi"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		o    verifykit.Options
		want string
	}{
		{"no msi", verifykit.Options{}, "--msi"},
		{"not an msi", verifykit.Options{MSIs: []string{notMSI}}, notMSI},
		{"bad pattern", verifykit.Options{MSIs: []string{notMSI}, Only: []string{"["}}, `--scenario "["`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(root, "kit-"+strings.ReplaceAll(c.name, " ", "-"))
			c.o.Out = out
			_, err := verifykit.Write(context.Background(), execx.OS{}, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after a failure", out)
			}
		})
	}
	left, _ := filepath.Glob(filepath.Join(root, ".verify-kit-*"))
	if len(left) > 0 {
		t.Errorf("temporary folders left: %v", left)
	}
}

// expectedFor builds a kit's expectations straight from the table, for
// the compare tests that need no packages.
func expectedFor(ids ...string) *verifykit.Expected {
	exp := &verifykit.Expected{Format: verifykit.Format, Defaults: zero, Subjects: []verifykit.Subject{{Name: "s1",
		Packages: map[string]verifykit.Package{
			matrix.PkgThis:    {ProductCode: "{11111111-1111-4111-8111-111111111111}", Is64: true},
			matrix.PkgRebuild: {ProductCode: "{11111111-1111-4111-8111-111111111111}", Is64: true},
		}, RunValue: "Console", ExeName: "Console.exe"}}}
	wine := matrix.WineDiffers()
	for _, sc := range matrix.Scenarios(zero) {
		for _, id := range ids {
			if sc.ID == id {
				k := verifykit.Scenario{ID: "s1/" + id, Subject: "s1", Windows: sc.Want}
				if d, ok := wine[id]; ok {
					k.Wine = &d.Want
				}
				exp.Scenarios = append(exp.Scenarios, k)
			}
		}
	}
	return exp
}

// TestCompareHost: the same recorded outcome of a rebuild (exit 0, no
// 1638) passes under Wine, where Wine's expectation applies, and fails on
// Windows, where 1638 is expected; a scenario the script did not finish
// fails.
func TestCompareHost(t *testing.T) {
	exp := expectedFor("per-user/rebuild", "per-user/uninstall")
	results := func(host string) string {
		state := func(w string) string {
			return w + " value HKCU InstallDir=D:\\Apps\\Support Console\\\n" + w + " value HKCU RunAtStartup=1\n" +
				w + " value HKCU ShouldAutoUpdate=1\n" + w + " value HKCU AutoUpdate=1\n" + w + " run HKCU yes\n" + w + " file HKCU yes\n" +
				w + " product {11111111-1111-4111-8111-111111111111} per-user\n"
		}
		return "kit 1\nhost " + host + "\nscenario s1/per-user/rebuild\nsetup 1 0\n" + state("before") + "step 0\n" + state("after") +
			"end s1/per-user/rebuild\nscenario s1/per-user/uninstall\nsetup 1 0\n"
	}
	for _, c := range []struct {
		host, rebuild string
	}{{"wine", ""}, {"windows", "exit 0, want 1638"}} {
		res, err := verifykit.Parse(strings.NewReader(results(c.host)))
		if err != nil {
			t.Fatal(err)
		}
		rep := verifykit.Compare(exp, res)
		byID := map[string]verifykit.Line{}
		for _, l := range rep.Lines {
			byID[l.ID] = l
		}
		l, u := byID["s1/per-user/rebuild"], byID["s1/per-user/uninstall"]
		if got := strings.Join(l.Problems, "; "); (c.rebuild == "") != l.OK || !strings.Contains(got, c.rebuild) {
			t.Errorf("%s: rebuild %+v, want problems with %q\n%s", c.host, l, c.rebuild, rep.Text())
		}
		if u.OK || !strings.Contains(strings.Join(u.Problems, ""), "incomplete") {
			t.Errorf("%s: unfinished uninstall passed: %+v", c.host, u)
		}
	}
}

// TestParseErrors: what is not a results file is refused with the line.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "kit 1"},
		{"kit 1\n", "no host line"},
		{"kit 1\nhost mac\n", `host "mac"`},
		{"kit 1\nhost wine\nstep 0\n", "before any scenario"},
		{"kit 1\nhost wine\nscenario a\nstep x\n", "line 4"},
		{"kit 1\nhost wine\nwhat\n", `"what"`},
	} {
		_, err := verifykit.Parse(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

// wineSubset is the representative part of the scenario list the Wine
// test runs (each scenario takes about 5 s under Wine: the whole list
// takes minutes): first installs with omitted properties, re-runs, a
// refused value, settings changes, repair, uninstall in each context,
// the other context, the next version, another build of this version,
// a downgrade, and four of the scenarios where Wine departs from Windows.
var wineSubset = []string{
	"s1/per-user/no-runatstartup+no-shouldautoupdate",
	"s1/per-machine/no-runatstartup/shouldautoupdate=1",
	"s1/per-user/no-runatstartup+no-shouldautoupdate/as-system",
	"s1/per-user/rerun-same",
	"s1/per-user/rerun-invalid-runatstartup",
	"s1/per-user/change-run-on",
	"s1/per-user/change-run-off",
	"s1/per-user/repair",
	"s1/per-machine/repair",
	"s1/per-user/uninstall",
	"s1/per-machine/uninstall",
	"s1/per-user/next-version",
	"s1/per-machine/next-version-other-context",
	"s1/per-user/rebuild",
	"s1/per-machine/other-context-same-package",
	"s1/per-machine/rerun-without-reinstall",
	"s1/per-user/same-version-other-build",
	"s1/per-user/downgrade",
}

// runKit writes a kit of msiPath with the given scenarios, runs its
// script with Wine's cmd in a fresh prefix and returns the results path.
func runKit(t *testing.T, msiPath string, only []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kit")
	args := []string{"verify-kit", "--msi", msiPath, "-o", dir}
	for _, o := range only {
		args = append(args, "--scenario", o)
	}
	if code, out, errs := msiforge(args...); code != 0 {
		t.Fatalf("verify-kit: exit %d\n%s%s", code, out, errs)
	}
	w := winetest.New(t)
	script, err := filepath.Abs(filepath.Join(dir, verifykit.ScriptName))
	if err != nil {
		t.Fatal(err)
	}
	// Z: is the host's root in a Wine prefix.
	if rc := w.Run("cmd", "/c", "Z:"+strings.ReplaceAll(script, "/", `\`)); rc != 0 {
		t.Fatalf("verify.cmd: exit %d", rc)
	}
	return filepath.Join(dir, verifykit.ResultsName)
}

// TestKitUnderWine runs the generated script under Wine against the demo's
// x64 console MSI: compare passes (Wine's expectation for the scenarios
// where Wine differs), and the results say host wine. The same kit of a
// package whose Run component lost its condition makes compare exit 3 and
// name the Run value.
func TestKitUnderWine(t *testing.T) {
	base := buildX64(t)
	results := runKit(t, base, wineSubset)
	code, out, errs := msiforge("verify-kit", "compare", results)
	if code != 0 {
		data, _ := os.ReadFile(results)
		t.Fatalf("compare: exit %d\n%s%s\nresults:\n%s", code, out, errs, data)
	}
	if !strings.HasPrefix(out, "host: wine\n") || !strings.Contains(out, "(wine expectation)") || !strings.Contains(out, "skip s1/per-user/no-runatstartup+no-shouldautoupdate/as-system") {
		t.Errorf("compare output:\n%s", out)
	}
	if !strings.Contains(out, "18 scenarios: 17 as expected, 0 differ, 1 skipped") {
		t.Errorf("not every scenario ran:\n%s", out)
	}
	t.Logf("\n%s", out)

	// The mutant: the Run component installed whatever RUNATSTARTUP says.
	f, err := msi.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	comps, err := f.Rows("Component")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	runComp := ""
	for _, r := range comps {
		if strings.Contains(r["Condition"], matrix.PropRunAtStartup) {
			runComp = r["Component"]
		}
	}
	if runComp == "" {
		t.Fatal("no Component whose condition names RUNATSTARTUP")
	}
	mutant := filepath.Join(t.TempDir(), "mutant.msi")
	if err := packaging.CopyFile(base, mutant); err != nil {
		t.Fatal(err)
	}
	if err := msitools.Query(context.Background(), execx.OS{}, mutant,
		"UPDATE `Component` SET `Condition` = '' WHERE `Component` = "+msitools.Quote(runComp)); err != nil {
		t.Fatal(err)
	}
	results = runKit(t, mutant, []string{"s1/per-user/no-runatstartup+no-shouldautoupdate", "s1/per-user/change-run-on"})
	code, out, _ = msiforge("verify-kit", "compare", results)
	if code != cli.ExitFindings || !strings.Contains(out, "FAIL s1/per-user/no-runatstartup+no-shouldautoupdate") || !strings.Contains(out, "Run value") {
		t.Errorf("compare of the mutant: exit %d, want 3 and the Run value named:\n%s", code, out)
	}
}

// TestExpectedJSON: expected.json round-trips (compare reads what Write
// wrote).
func TestExpectedJSON(t *testing.T) {
	exp := expectedFor("per-user/rebuild")
	data, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	var back verifykit.Expected
	if err := json.Unmarshal(data, &back); err != nil || back.Scenarios[0].Wine == nil || back.Scenarios[0].Windows.Exit != matrix.Exit1638 {
		t.Fatalf("%v %+v", err, back)
	}
}
