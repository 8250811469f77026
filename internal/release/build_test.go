package release_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

// buildExample builds the example for archs with the real wixl into a
// temporary directory.
func buildExample(t *testing.T, archs ...string) []packaging.Artifact {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, archs...)
	c.Product.Manufacturer = "Example & Sons' $Corp" // XML and preprocessor specials survive the build
	all, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var msis []packaging.Artifact
	for _, a := range all {
		if a.Kind == packaging.KindConsoleMSI {
			msis = append(msis, a)
		}
	}
	if len(msis) != len(archs) || len(all) != 2*len(archs) {
		t.Fatalf("built %d artifacts with %d MSIs, want an MSI and an EXE per architecture", len(all), len(msis))
	}
	return msis
}

func export(t *testing.T, path, table string) *msitools.Table {
	t.Helper()
	tab, err := msitools.Export(context.Background(), execx.OS{}, path, table)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func value(t *testing.T, tab *msitools.Table, key, keyValue, col string) string {
	t.Helper()
	v, ok := tab.Lookup(key, keyValue, col)
	if !ok {
		t.Errorf("%s: no row %s=%s", tab.Name, key, keyValue)
	}
	return v
}

// TestBuildTables builds the console MSIs with wixl and reads every table
// the install-scope × auto-update rules depend on back with msiinfo.
func TestBuildTables(t *testing.T) {
	arts := buildExample(t, "x86", "x64", "arm64")
	templates := map[string]string{"x86": "Intel;1033", "x64": "x64;1033", "arm64": "Arm64;1033"}
	for _, a := range arts {
		t.Run(a.Arch, func(t *testing.T) {
			if want := "example-console-1.4.2-" + a.Arch + ".msi"; filepath.Base(a.Path) != want {
				t.Errorf("file name %s, want %s", filepath.Base(a.Path), want)
			}
			if a.Size == 0 || len(a.SHA256) != 64 || a.Kind != packaging.KindConsoleMSI {
				t.Errorf("artifact %+v", a)
			}

			sum, err := msitools.Summary(context.Background(), execx.OS{}, a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if sum["Template"] != templates[a.Arch] {
				t.Errorf("Template = %q, want %q", sum["Template"], templates[a.Arch])
			}
			// 10 = compressed (2) + no elevation (8): a per-user package.
			if !strings.HasPrefix(sum["Source"], "10 ") {
				t.Errorf("Word Count (Source) = %q, want 10: compressed, no elevation", sum["Source"])
			}

			prop := export(t, a.Path, "Property")
			if got := value(t, prop, "Property", "ProductCode", "Value"); got != a.ProductCode {
				t.Errorf("ProductCode = %s, want the derived %s", got, a.ProductCode)
			}
			if got := value(t, prop, "Property", "UpgradeCode", "Value"); got != "{3F6C1B0E-8E4A-4C53-9D0B-6A1E2F3C4D5E}" {
				t.Errorf("UpgradeCode = %s", got)
			}
			if got := value(t, prop, "Property", "Manufacturer", "Value"); got != "Example & Sons' $Corp" {
				t.Errorf("Manufacturer = %q: escaping changed the value", got)
			}
			if _, ok := prop.Lookup("Property", "ALLUSERS", "Value"); ok {
				t.Error("Property ALLUSERS is set; the default must be empty (per-user)")
			}
			secure := strings.Split(value(t, prop, "Property", "SecureCustomProperties", "Value"), ";")
			for _, p := range append([]string{"WIX_UPGRADE_DETECTED", "WIX_DOWNGRADE_DETECTED"}, matrix.SecureProperties...) {
				if !slices.Contains(secure, p) {
					t.Errorf("SecureCustomProperties %v lacks %s", secure, p)
				}
			}

			reg := export(t, a.Path, "Registry")
			key := `Software\Example & Sons' $Corp\Example Support Console`
			want := map[string]string{ // Name -> Value, all under HKMU
				"InstallDir": "[INSTALLDIR]", "RunAtStartup": "[RUNATSTARTUP]", "ShouldAutoUpdate": "[SHOULDAUTOUPDATE]",
				"AutoUpdate": "[EffectiveAutoUpdate]", "AllUsers": "[ALLUSERS]", "Version": "[ProductVersion]",
				"StartMenuShortcut": "#1",
			}
			for _, r := range reg.Rows {
				root, k, name, val, comp := r[reg.Col("Root")], r[reg.Col("Key")], r[reg.Col("Name")], r[reg.Col("Value")], r[reg.Col("Component_")]
				if root != "-1" {
					t.Errorf("Registry %s\\%s has Root %s, want -1 (HKMU)", k, name, root)
				}
				switch {
				case k == `Software\Microsoft\Windows\CurrentVersion\Run`:
					if name != "Example Support Console" || val != `"[INSTALLDIR]ExampleConsole.exe"` || comp != "RunAtStartup" {
						t.Errorf("Run value row = %v", r)
					}
					delete(want, "Run")
				case k == key:
					if w, ok := want[name]; !ok || w != val {
						t.Errorf("settings value %s = %q, want %q", name, val, w)
					}
					delete(want, name)
				default:
					t.Errorf("unexpected Registry row %v", r)
				}
			}
			if len(want) > 0 {
				t.Errorf("settings values missing: %v", want)
			}

			comp := export(t, a.Path, "Component")
			if got := value(t, comp, "Component", "RunAtStartup", "Condition"); got != matrix.CondRunAtStartup {
				t.Errorf("RunAtStartup component condition = %q, want %q", got, matrix.CondRunAtStartup)
			}
			attrs := value(t, comp, "Component", "Settings", "Attributes")
			if is64 := a.Arch != "x86"; is64 != (attrs == "260") {
				t.Errorf("Settings component attributes %s for %s (256 = 64-bit, 4 = registry key path)", attrs, a.Arch)
			}
			// 0x40: transitive, so a settings change re-evaluates the condition.
			wantRun := map[bool]string{true: "324", false: "68"}[a.Arch != "x86"]
			if got := value(t, comp, "Component", "RunAtStartup", "Attributes"); got != wantRun {
				t.Errorf("RunAtStartup component attributes %s, want %s (0x40 transitive, 4 registry key path, 256 64-bit)", got, wantRun)
			}

			lc := export(t, a.Path, "LaunchCondition")
			conds := []string{"NOT WIX_DOWNGRADE_DETECTED"}
			for _, c := range matrix.LaunchConditions {
				conds = append(conds, c.Condition)
			}
			for _, c := range conds {
				if _, ok := lc.Lookup("Condition", c, "Description"); !ok {
					t.Errorf("LaunchCondition %q missing", c)
				}
			}
			if len(lc.Rows) != len(conds) {
				t.Errorf("%d launch conditions, want %d", len(lc.Rows), len(conds))
			}

			up := export(t, a.Path, "Upgrade")
			if len(up.Rows) != 3 {
				t.Fatalf("Upgrade has %d rows, want 3 (upgrade, downgrade and same-version detection)", len(up.Rows))
			}
			for _, r := range up.Rows {
				if r[up.Col("UpgradeCode")] != "{3F6C1B0E-8E4A-4C53-9D0B-6A1E2F3C4D5E}" {
					t.Errorf("Upgrade row %v has another UpgradeCode", r)
				}
				if r[up.Col("ActionProperty")] == matrix.PropSameVersion {
					// 770 = OnlyDetect 2 + VersionMinInclusive 256 + VersionMaxInclusive 512.
					if got := r[up.Col("VersionMin")] + ".." + r[up.Col("VersionMax")] + " " + r[up.Col("Attributes")]; got != "1.4.2..1.4.2 770" {
						t.Errorf("same-version Upgrade row %q, want 1.4.2..1.4.2 770", got)
					}
				}
			}

			// Each context's remembered values from its own hive: HKCU (1)
			// and HKLM (2), raw (2), the 64-bit view (0x10) for 64-bit packages.
			loc := export(t, a.Path, "RegLocator")
			machineType := map[bool]string{true: "18", false: "2"}[a.Arch != "x86"]
			for _, name := range []string{"InstallDir", "RunAtStartup", "ShouldAutoUpdate"} {
				for sig, want := range map[string][2]string{name + "User": {"1", "2"}, name + "Machine": {"2", machineType}} {
					if root, typ := value(t, loc, "Signature_", sig, "Root"), value(t, loc, "Signature_", sig, "Type"); root != want[0] || typ != want[1] {
						t.Errorf("RegLocator %s: Root %s Type %s, want %s %s", sig, root, typ, want[0], want[1])
					}
				}
			}
			// The other architecture's per-machine values, from the other view.
			otherType := map[bool]string{true: "2", false: "18"}[a.Arch != "x86"]
			for _, name := range []string{"InstallDir", "RunAtStartup", "ShouldAutoUpdate"} {
				sig := name + "MachineOtherView"
				if root, typ := value(t, loc, "Signature_", sig, "Root"), value(t, loc, "Signature_", sig, "Type"); root != "2" || typ != otherType {
					t.Errorf("RegLocator %s: Root %s Type %s, want 2 %s", sig, root, typ, otherType)
				}
			}
			as := export(t, a.Path, "AppSearch")
			for _, p := range []string{"INSTALLDIR", "RUNATSTARTUP", "SHOULDAUTOUPDATE"} {
				for _, r := range as.Rows {
					if r[as.Col("Property")] == p {
						t.Errorf("AppSearch fills the public %s; remembered values go to the private User*/Machine* properties", p)
					}
				}
			}
			if got := value(t, prop, "Property", "ARPNOMODIFY", "Value"); got != "1" {
				t.Errorf("ARPNOMODIFY = %q, want 1", got)
			}

			seq := export(t, a.Path, "InstallExecuteSequence")
			for action, cond := range map[string]string{
				"AutoUpdateOn":           matrix.CondAutoUpdate,
				"SetUserInstallDir":      "NOT INSTALLDIR AND " + matrix.CondPerUser,
				"RemoveExistingProducts": "",
			} {
				if got := value(t, seq, "Action", action, "Condition"); got != cond {
					t.Errorf("InstallExecuteSequence %s condition %q, want %q", action, got, cond)
				}
			}
			if got := value(t, seq, "Action", "SetARPInstallLocation", "Sequence"); got != "1001" {
				t.Errorf("SetARPInstallLocation at %s, want 1001 (right after CostFinalize)", got)
			}
			ca := export(t, a.Path, "CustomAction")
			for _, r := range ca.Rows {
				if n, _ := strconv.Atoi(r[ca.Col("Type")]); n&0x400 == 0 && n&0x800 != 0 {
					t.Errorf("immediate custom action %s has Type %d with the no-impersonate bit 0x800", r[0], n)
				}
			}
			if got := value(t, ca, "Action", "SetARPInstallLocation", "Target"); got != "[INSTALLDIR]" {
				t.Errorf("ARPINSTALLLOCATION set to %q", got)
			}
			if got := value(t, ca, "Action", "SetUserInstallDir", "Target"); got != `[LocalAppDataFolder]Example & Sons' $Corp\Example Support Console\` {
				t.Errorf("per-user INSTALLDIR default = %q", got)
			}
			dir := export(t, a.Path, "Directory")
			pf := map[string]string{"x86": "ProgramFilesFolder", "x64": "ProgramFiles64Folder", "arm64": "ProgramFiles64Folder"}[a.Arch]
			if got := value(t, dir, "Directory", "ManufacturerDir", "Directory_Parent"); got != pf {
				t.Errorf("per-machine root %s, want %s", got, pf)
			}
		})
	}
}

// TestBuildFailureLeavesNothing makes wixl fail (a payload file vanishes
// after the config was read) and checks the output directory holds no
// artifact and no temporary file.
func TestBuildFailureLeavesNothing(t *testing.T) {
	testutil.NeedTool(t, "wixl")
	c := testutil.LoadExample(t, "x64")
	if err := os.Remove(c.Path("README.txt")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: out})
	if err == nil || !strings.Contains(err.Error(), "stage payload") {
		t.Fatalf("err = %v, want a staging error", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("output directory holds %v after a failed build", entries)
	}
}

// fakeRunner answers every command with fixed output, for the error paths
// the real tools do not produce on demand.
type fakeRunner struct {
	stderr string
	err    error
	calls  []execx.Cmd
}

func (f *fakeRunner) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	f.calls = append(f.calls, c)
	return execx.Result{Stderr: []byte(f.stderr)}, f.err
}

func TestWixlWarningFailsTheBuild(t *testing.T) {
	c := testutil.LoadExample(t, "x64")
	out := t.TempDir()
	run := &fakeRunner{stderr: "(wixl:1): GLib-GObject-WARNING **: object class 'WixlWixComponent' has no property named 'Condition'\n"}
	_, err := release.Build(context.Background(), run, c, release.Options{OutDir: out})
	if err == nil || !strings.Contains(err.Error(), "wixl printed warnings, which msiforge treats as errors") || !strings.Contains(err.Error(), "has no property named 'Condition'") {
		t.Fatalf("err = %v", err)
	}
	if len(run.calls) != 1 || run.calls[0].Name != "wixl" || strings.Join(run.calls[0].Args, " ") != "-a x64 -o out.msi product.wxs" {
		t.Errorf("calls = %v", run.calls)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("output directory holds %v after a failed build", entries)
	}
}

func TestMissingToolIsReported(t *testing.T) {
	c := testutil.LoadExample(t, "x64")
	run := &fakeRunner{err: &execx.ToolMissingError{Tool: "wixl"}}
	_, err := release.Build(context.Background(), run, c, release.Options{OutDir: t.TempDir()})
	var tm *execx.ToolMissingError
	if !errors.As(err, &tm) || !strings.Contains(err.Error(), "apt-get install wixl") {
		t.Fatalf("err = %v, want a ToolMissingError naming the package", err)
	}
}

// TestBuildIsReproducible builds the same config twice, in different
// directories whose payload files have different times: identical bytes.
// A different SOURCE_DATE_EPOCH or payload gives a different MSI and
// PackageCode.
func TestBuildIsReproducible(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	build := func(c *config.Config, epoch time.Time) packaging.Artifact {
		t.Helper()
		arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir(), Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	a := testutil.LoadExample(t, "x64")
	b := testutil.LoadExample(t, "x64")
	old := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, f := range b.Console.Payload["x64"] {
		if err := os.Chtimes(b.Path(f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	epoch := time.Unix(1700000000, 0)
	x, y := build(a, epoch), build(b, epoch)
	if x.SHA256 != y.SHA256 {
		t.Fatalf("two builds differ: %s vs %s", x.SHA256, y.SHA256)
	}
	sum, err := msitools.Summary(context.Background(), execx.OS{}, x.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum["Revision number (UUID)"]; got != x.PackageCode {
		t.Errorf("PackageCode %s, want the derived %s", got, x.PackageCode)
	}
	si := export(t, x.Path, "_SummaryInformation")
	if v, _ := si.Lookup("PropertyId", "12", "Value"); v != "2023/11/14 22:13:20" {
		t.Errorf("created time %q, want SOURCE_DATE_EPOCH 1700000000", v)
	}

	if z := build(a, epoch.Add(time.Hour)); z.SHA256 == x.SHA256 {
		t.Error("another SOURCE_DATE_EPOCH gave the same bytes")
	}
	if err := os.WriteFile(a.Path("README.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if z := build(a, epoch); z.PackageCode == x.PackageCode {
		t.Error("a changed payload kept the PackageCode")
	}
}

// TestOneFixupPassPerMSI: all the fix-ups and the summary information of
// an MSI go into one msibuild run (each run rewrites the whole file), the
// code page import first in it; the read-back checks still pass (Build
// fails otherwise).
func TestOneFixupPassPerMSI(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis", "go")
	c := testutil.LoadExampleWithVSC(t) // consoles and VSC packages, all architectures
	run := &recordingRunner{}
	arts, err := release.Build(context.Background(), run, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	msis := 0
	for _, a := range arts {
		if strings.HasSuffix(a.Path, ".msi") {
			msis++
		}
	}
	var wixl, msibuild, goBuilds int
	for _, cmd := range run.cmds {
		switch cmd.Name {
		case "go":
			goBuilds++
		case "wixl":
			wixl++
		case "msibuild":
			msibuild++
			if len(cmd.Args) < 3 || cmd.Args[1] != "-i" || filepath.Base(cmd.Args[2]) != "_ForceCodepage.idt" {
				t.Errorf("msibuild %v: the code page import is not first", cmd.Args)
			}
			if !slices.Contains(cmd.Args, "-q") || !slices.ContainsFunc(cmd.Args, func(a string) bool { return filepath.Base(a) == "_SummaryInformation.idt" }) {
				t.Errorf("msibuild %v lacks the table fix-ups or the summary information", cmd.Args)
			}
		}
	}
	if msis < 9 || wixl != msis || msibuild != msis {
		t.Errorf("%d MSIs, %d wixl runs, %d msibuild runs; want one of each per MSI", msis, wixl, msibuild)
	}
	// The VSC helper is built once per architecture, for both roles.
	if goBuilds != 3 {
		t.Errorf("%d go builds of the VSC helper, want 3 (one per architecture)", goBuilds)
	}
}
