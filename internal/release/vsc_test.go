package release_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/wix"
)

// TestGoldenVSC pins the WiX of both VSC packages, per architecture.
func TestGoldenVSC(t *testing.T) {
	srcs, err := release.Sources(testutil.LoadExampleWithVSC(t, "x86", "x64", "arm64"), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range srcs {
		if s.VSC == nil {
			continue
		}
		n++
		golden.Assert(t, "example/"+s.Target.Wxs, s.Text)
	}
	if n != 6 {
		t.Fatalf("got %d VSC sources, want 6 (2 roles × 3 architectures)", n)
	}
}

// TestVSCTables builds the six VSC packages with wixl and reads back every
// table the driver and the service depend on.
func TestVSCTables(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExampleWithVSC(t, "x86", "x64", "arm64")
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]string{"x86": "Intel;1033", "x64": "x64;1033", "arm64": "Arm64;1033"}
	want := map[string]struct{ service, display string }{
		packaging.KindVSCRepresentative: {"RemoteSupportVscRep", "Remote Support VSC Representative Service"},
		packaging.KindVSCCustomer:       {"RemoteSupportVscCust", "Remote Support VSC Customer Service"},
	}
	n := 0
	for _, a := range arts {
		w, ok := want[a.Kind]
		if !ok {
			continue
		}
		n++
		t.Run(a.Kind+"-"+a.Arch, func(t *testing.T) {
			role := strings.TrimPrefix(a.Kind, "vsc-")
			if want := "example-console-vsc-" + role + "-1.4.2-" + a.Arch + ".msi"; filepath.Base(a.Path) != want {
				t.Errorf("file name %s, want %s", filepath.Base(a.Path), want)
			}
			sum, err := msitools.Summary(context.Background(), execx.OS{}, a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if sum["Template"] != templates[a.Arch] {
				t.Errorf("Template = %q, want %q", sum["Template"], templates[a.Arch])
			}
			// 2 = compressed, and elevation allowed (no 8 bit): per-machine.
			if !strings.HasPrefix(sum["Source"], "2 ") {
				t.Errorf("Word Count (Source) = %q, want 2: compressed, elevated", sum["Source"])
			}
			if v := value(t, export(t, a.Path, "Property"), "Property", "ALLUSERS", "Value"); v != "1" {
				t.Errorf("ALLUSERS = %q, want 1 (per-machine)", v)
			}

			si := export(t, a.Path, "ServiceInstall")
			if len(si.Rows) != 1 {
				t.Fatalf("%d ServiceInstall rows, want 1", len(si.Rows))
			}
			for col, v := range map[string]string{
				"DisplayName": w.display, "ServiceType": "16", "StartType": "2", "ErrorControl": "1",
				"StartName": "LocalSystem", "Component_": wix.VSCServiceComp,
			} {
				if got := value(t, si, "Name", w.service, col); got != v {
					t.Errorf("ServiceInstall %s = %q, want %q", col, got, v)
				}
			}
			// 0xA3: start on install (1), stop on install (2) and on
			// uninstall (0x20), delete on uninstall (0x80).
			sc := export(t, a.Path, "ServiceControl")
			if got := value(t, sc, "Name", w.service, "Event"); got != strconv.Itoa(0xA3) {
				t.Errorf("ServiceControl Event = %s, want %d", got, 0xA3)
			}
			if got := value(t, sc, "Name", w.service, "Wait"); got != "1" {
				t.Errorf("ServiceControl Wait = %s, want 1", got)
			}

			ca := export(t, a.Path, "CustomAction")
			typ := func(action string) int {
				n, err := strconv.Atoi(value(t, ca, "Action", action, "Type"))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			const deferred, noImpersonate, rollback, ignore = 0x400, 0x800, 0x100, 0x40
			for action, want := range map[string]int{
				wix.VSCDriverInstall:   2 | deferred | noImpersonate,
				wix.VSCDriverRollback:  2 | deferred | noImpersonate | rollback | ignore,
				wix.VSCDriverUninstall: 2 | deferred | noImpersonate | ignore,
				wix.VSCDriverReAdd:     2 | deferred | noImpersonate | rollback | ignore,
			} {
				if got := typ(action); got != want {
					t.Errorf("%s type %#x, want %#x", action, got, want)
				}
			}
			// The actions run the helper, which runs pnputil (problem 1:
			// pnputil's own non-zero success codes would fail the install).
			// The helper is in the Binary table (type 2 actions), so it
			// runs even when its installed copy would be gone.
			// (Read with msiforge's reader: msiinfo export Binary writes
			// the streams into the working directory.)
			if f, err := msi.Open(a.Path); err != nil {
				t.Fatal(err)
			} else {
				if !slices.Contains(f.Streams(), "Binary."+wix.VSCHelperBinary) {
					t.Errorf("no Binary stream %s: %q", wix.VSCHelperBinary, f.Streams())
				}
				f.Close()
			}
			state := `Software\Example Corp\Example Support Console VSC\Driver\` + map[string]string{packaging.KindVSCRepresentative: "Representative", packaging.KindVSCCustomer: "Customer"}[a.Kind]
			for action, verb := range map[string]string{wix.VSCDriverInstall: "add", wix.VSCDriverReAdd: "add", wix.VSCDriverRollback: "rollback", wix.VSCDriverUninstall: "remove"} {
				// Problem 3: the INF's path comes from its directory, never
				// from [#file], which formats empty during a removal.
				want := verb + ` "[DRIVERDIR]vscsample.inf" "` + state + `"`
				switch verb {
				case "add": // problem 2: the device node's hardware ID, the INF's first model
					want += ` "ROOT\VSCSAMPLE"`
				case "remove":
					want += ` "[VSCOTHERINSTALLED]"`
				}
				if got := value(t, ca, "Action", action, "Target"); got != want {
					t.Errorf("%s command %q, want %q", action, got, want)
				}
				if got := value(t, ca, "Action", action, "Source"); got != wix.VSCHelperBinary {
					t.Errorf("%s runs %q, want the helper (%s)", action, got, wix.VSCHelperBinary)
				}
			}

			seqTab := export(t, a.Path, "InstallExecuteSequence")
			seq := func(action string) int {
				n, err := strconv.Atoi(value(t, seqTab, "Action", action, "Sequence"))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			inst, rb, rm := seq(wix.VSCDriverInstall), seq(wix.VSCDriverRollback), seq(wix.VSCDriverUninstall)
			if !(seq("InstallFiles") < rb && rb < inst && inst < seq("InstallServices") && inst < seq("StartServices")) {
				t.Errorf("install sequence: InstallFiles %d < rollback %d < install %d < InstallServices %d, StartServices %d does not hold",
					seq("InstallFiles"), rb, inst, seq("InstallServices"), seq("StartServices"))
			}
			if readd := seq(wix.VSCDriverReAdd); readd >= rm || readd <= seq("DeleteServices") {
				t.Errorf("re-add (rollback of the removal) at %d, want just before the removal at %d", readd, rm)
			}
			if !(seq("InstallInitialize") < rm && seq("DeleteServices") < rm && rm < seq("RemoveFiles")) {
				t.Errorf("uninstall action at %d is not between DeleteServices %d and RemoveFiles %d", rm, seq("DeleteServices"), seq("RemoveFiles"))
			}
			for action, cond := range map[string]string{
				wix.VSCDriverInstall: "NOT Installed", wix.VSCDriverRollback: "NOT Installed", wix.VSCDriverUninstall: `REMOVE~="ALL" AND NOT UPGRADINGPRODUCTCODE`,
				wix.VSCDriverReAdd: `REMOVE~="ALL" AND NOT UPGRADINGPRODUCTCODE`,
			} {
				if got := value(t, seqTab, "Action", action, "Condition"); got != cond {
					t.Errorf("%s condition %q, want %q", action, got, cond)
				}
			}
			// Problem 4: the old product is removed inside the new
			// install's transaction, so a failed upgrade restores it.
			if rep := seq("RemoveExistingProducts"); !(seq("InstallInitialize") < rep && rep < seq("InstallFiles")) {
				t.Errorf("RemoveExistingProducts at %d, want after InstallInitialize %d (and before InstallFiles)", rep, seq("InstallInitialize"))
			}
			// Problem 5: the platform guards.
			as, rl, lc := export(t, a.Path, "AppSearch"), export(t, a.Path, "RegLocator"), export(t, a.Path, "LaunchCondition")
			typ64 := "2"
			if a.Arch != "x86" {
				typ64 = "18" // raw | 64-bit view
			}
			if got := value(t, as, "Property", wix.BuildNumber, "Signature_"); got != "VscBuildNumber" {
				t.Errorf("AppSearch for %s uses %q", wix.BuildNumber, got)
			}
			for col, want := range map[string]string{"Root": "2", "Key": `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "Name": "CurrentBuildNumber", "Type": typ64} {
				if got := value(t, rl, "Signature_", "VscBuildNumber", col); got != want {
					t.Errorf("build number RegLocator %s = %q, want %q", col, got, want)
				}
			}
			conds := map[string]string{"Installed OR VSCBUILDNUMBER >= 14393": "Windows 10 version 1607 (build 14393)"}
			switch a.Arch {
			case "x86":
				conds["Installed OR NOT VersionNT64"] = "install the x64 package on x64 Windows or the arm64 package on ARM64 Windows"
			case "x64":
				conds["Installed OR VersionNT64"] = "install the x86 package on 32-bit Windows"
				conds[`Installed OR NOT VSCPROCARCH~="ARM64"`] = "install the arm64 package on ARM64 Windows"
				for col, want := range map[string]string{"Root": "2", "Key": `SYSTEM\CurrentControlSet\Control\Session Manager\Environment`, "Name": "PROCESSOR_ARCHITECTURE", "Type": "18"} {
					if got := value(t, rl, "Signature_", "VscProcArch", col); got != want {
						t.Errorf("processor RegLocator %s = %q, want %q", col, got, want)
					}
				}
			case "arm64":
				conds["Installed OR VersionNT64"] = "install the x86 package on 32-bit Windows"
			}
			for cond, msg := range conds {
				if got, _ := lc.Lookup("Condition", cond, "Description"); !strings.Contains(got, msg) {
					t.Errorf("launch condition %q: message %q, want it to say %q", cond, got, msg)
				}
			}
			if _, ok := as.Lookup("Property", wix.ProcArch, "Signature_"); ok != (a.Arch == "x64") {
				t.Errorf("processor architecture search present: %v, want it in the x64 package only", ok)
			}
			// The other role's package is found (also on uninstall) by a
			// registry search of the value each package writes.
			if got := value(t, export(t, a.Path, "AppSearch"), "Property", wix.OtherInstalled, "Signature_"); got != "VscOtherRole" {
				t.Errorf("AppSearch for %s uses %q", wix.OtherInstalled, got)
			}
			other := map[string]string{packaging.KindVSCRepresentative: "Customer", packaging.KindVSCCustomer: "Representative"}[a.Kind]
			if got := value(t, export(t, a.Path, "RegLocator"), "Signature_", "VscOtherRole", "Key"); got != `Software\Example Corp\Example Support Console VSC\`+other {
				t.Errorf("RegLocator key %q", got)
			}
		})
	}
	if n != 6 {
		t.Errorf("built %d VSC packages, want 6", n)
	}
}

// goBuildWindows cross-compiles a Go package for windows/amd64 into dir.
func goBuildWindows(t *testing.T, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// TestWineVSCRepresentative installs the x64 representative package into
// Wine's Windows Installer with the SAMPLE service and a fake pnputil.exe
// (Wine has none, and the sample driver is not a driver): the service is
// registered, started and removed, the driver actions run with the right
// arguments, and a failing pnputil rolls the whole install back.
func TestWineVSCRepresentative(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "go")
	bin := t.TempDir()
	svcExe := filepath.Join(bin, "VscService.exe")
	goBuildWindows(t, "github.com/msiforge/msiforge/examples/vsc/service", svcExe)
	goBuildWindows(t, "./testdata/fakepnputil", filepath.Join(bin, "pnputil.exe"))

	c := testutil.LoadExampleWithVSC(t, "x64")
	for _, p := range c.VSC.Packages() {
		f := p.Pkg.Files["x64"]
		f.Service = svcExe
		p.Pkg.Files["x64"] = f
	}
	// The real sample INF (the test example's is a placeholder): Wine's
	// setupapi reads its class to create the reader's device node.
	copyFile(t, filepath.Join(testutil.RepoRoot(t), "examples", "vsc", "driver", "vscsample.inf"), c.Path(c.VSC.Representative.Files["x64"].INF))
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var msi, custMSI, productCode string
	for _, a := range arts {
		switch a.Kind {
		case packaging.KindVSCRepresentative:
			msi, productCode = a.Path, a.ProductCode
		case packaging.KindVSCCustomer:
			custMSI = a.Path
		}
	}

	w := winetest.NewSettled(t) // it installs a service
	w.SupportGo()               // the service and the fake pnputil are Go programs
	data, err := os.ReadFile(filepath.Join(bin, "pnputil.exe"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.Path(`C:\windows\system32\pnputil.exe`), data, 0o755); err != nil {
		t.Fatal(err)
	}
	const (
		svcKey    = `HKLM\System\CurrentControlSet\Services\RemoteSupportVscRep`
		dir       = `C:\Program Files\Example Corp\Example Support Console VSC\Representative\`
		inf       = dir + `Driver\vscsample.inf`
		oem       = `C:\windows\inf\oem1.inf` // the host's file system is case-sensitive
		logFile   = `C:\fakepnputil.log`
		exitFile  = `C:\fakepnputil-exit`
		helperLog = `C:\windows\temp\msiforge-vschelper.log`
		device    = `HKLM\System\CurrentControlSet\Enum\ROOT\SMARTCARDREADER\0000`
		state     = `HKLM\Software\Example Corp\Example Support Console VSC\Driver\Representative`
		arp       = `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\`
	)
	// pnputilExits makes the fake's /add-driver exit with code (0: remove
	// the file).
	pnputilExits := func(t *testing.T, code int) {
		t.Helper()
		if code == 0 {
			os.Remove(w.Path(exitFile))
			return
		}
		if err := os.WriteFile(w.Path(exitFile), []byte(strconv.Itoa(code)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setReg := func(t *testing.T, key, name, value string) {
		t.Helper()
		if rc := w.Run("reg", "add", key, "/v", name, "/d", value, "/f"); rc != 0 {
			t.Fatalf("reg add %s %s: exit %d", key, name, rc)
		}
	}
	// msiexec runs msiexec with a verbose log and shows the log's end
	// when the exit code is not the wanted one.
	msiexec := func(t *testing.T, want []int, args ...string) {
		t.Helper()
		const log = `C:\vsc-msiexec.log`
		if rc := w.Msiexec(append(args, "/l*v", log)...); !slices.Contains(want, rc) {
			b, _ := os.ReadFile(w.Path(log))
			t.Fatalf("msiexec %s: exit %d, want one of %d; log ends:\n%s", strings.Join(args, " "), rc, want, execx.Tail(string(b), 100))
		}
	}
	ok := []int{0}
	pnputilLog := func() []string {
		b, _ := os.ReadFile(w.Path(logFile))
		os.Remove(w.Path(logFile))
		var calls []string
		for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n") {
			if l != "" {
				calls = append(calls, l)
			}
		}
		return calls
	}

	// Wine's prefix says Windows 7 (CurrentBuildNumber 7601), which the
	// build guard refuses: make it Windows 10 22H2.
	const cv, sessionEnv = `HKLM\Software\Microsoft\Windows NT\CurrentVersion`, `HKLM\System\CurrentControlSet\Control\Session Manager\Environment`
	t.Run("refused before Windows 10 1607", func(t *testing.T) {
		if build, _ := w.RegValue(cv, "CurrentBuildNumber"); build != "7601" {
			t.Skipf("Wine's prefix has build %q, not Windows 7's", build)
		}
		msiexec(t, []int{winetest.Code(1603)}, "/i", msi, "/qn")
	})
	setReg(t, cv, "CurrentBuildNumber", "19045")

	t.Run("install", func(t *testing.T) {
		msiexec(t, ok, "/i", msi, "/qn")
		if got, _ := w.RegValue(svcKey, "DisplayName"); got != "Remote Support VSC Representative Service" {
			t.Errorf("DisplayName = %q", got)
		}
		if got, _ := w.RegValue(svcKey, "ImagePath"); strings.Trim(got, `"`) != dir+"VscService.exe" {
			t.Errorf("ImagePath = %q, want %sVscService.exe", got, dir)
		}
		if got, _ := w.RegValue(svcKey, "ObjectName"); got != "LocalSystem" {
			t.Errorf("ObjectName = %q, want LocalSystem", got)
		}
		// ServiceControl Start="install" Wait="yes" already failed the
		// install if the service did not start; check it runs.
		if out, _ := w.Output("sc", "query", "RemoteSupportVscRep"); !strings.Contains(out, "RUNNING") {
			t.Errorf("service not running after install:\n%s", out)
		}
		if got, want := pnputilLog(), []string{`/add-driver|` + inf + `|/install`}; !slices.Equal(got, want) {
			t.Errorf("pnputil calls %q, want %q", got, want)
		}
		if !w.Exists(oem) {
			t.Error("driver not staged (fake pnputil wrote no oem1.inf)")
		}
		// The helper recorded the published name for the uninstall.
		if got, _ := w.RegValue(state, "PublishedName"); got != "oem1.inf" {
			t.Errorf("recorded PublishedName %q, want oem1.inf", got)
		}
		// Problem 2: the virtual reader's root-enumerated device node, with
		// the driver installed on it by Wine's setupapi and newdev.
		if got, _ := w.RegValue(device, "HardwareID"); !strings.HasPrefix(got, `ROOT\VSCSAMPLE`) {
			t.Errorf("device node %s: HardwareID %q, want ROOT\\VSCSAMPLE", device, got)
		}
		if got, _ := w.RegValue(device, "Service"); got != "VscSample" {
			t.Errorf("device node %s: Service %q, want VscSample (the INF's driver installed on it)", device, got)
		}
		if got, _ := w.RegValue(state, "DeviceInstanceId"); !strings.EqualFold(got, `ROOT\SMARTCARDREADER\0000`) {
			t.Errorf("recorded DeviceInstanceId %q", got)
		}
	})

	t.Run("uninstall", func(t *testing.T) {
		msiexec(t, ok, "/x", msi, "/qn")
		if !gone(func() bool { return w.KeyExists(svcKey) }) {
			t.Error("service key left after uninstall")
		}
		if w.Exists(dir + "VscService.exe") {
			t.Error("files left after uninstall")
		}
		if w.KeyExists(`HKLM\Software\Example Corp\Example Support Console VSC\Representative`) {
			t.Error("registration value left after uninstall")
		}
		// Exactly the recorded package (problem 3).
		if got, want := pnputilLog(), []string{`/delete-driver|oem1.inf|/uninstall`}; !slices.Equal(got, want) {
			t.Errorf("pnputil calls %q, want %q", got, want)
		}
		if w.Exists(oem) {
			t.Error("driver package left in the driver store")
		}
		if w.KeyExists(state) {
			t.Error("the helper's record left after uninstall")
		}
		if w.KeyExists(device) {
			t.Error("device node left after uninstall")
		}
	})

	// Problem 1: pnputil's documented exit codes. 259 (no device matched:
	// the sample's root-enumerated ID on a clean machine) and 3010 (reboot
	// needed) are successes; 3010 is recorded and msiexec still returns 0
	// (a deferred action cannot set the reboot mode). Any other code fails
	// the install, which rolls back everything, the staged driver included.
	for _, c := range []struct {
		code   int
		ok     bool
		staged bool // the fake staged the INF before failing: the rollback deletes it
	}{{259, true, true}, {3010, true, true}, {5, false, false}, {87, false, false}, {1, false, true}} {
		t.Run("pnputil exits "+strconv.Itoa(c.code), func(t *testing.T) {
			pnputilExits(t, c.code)
			defer pnputilExits(t, 0)
			add := `/add-driver|` + inf + `|/install`
			if c.ok {
				msiexec(t, ok, "/i", msi, "/qn")
				if got := pnputilLog(); !slices.Equal(got, []string{add}) {
					t.Errorf("pnputil calls %q, want %q", got, add)
				}
				if !w.Exists(oem) || !w.KeyExists(arp+productCode) {
					t.Error("driver not staged or product not registered")
				}
				reboot, _ := w.RegValue(state, "RebootRequired")
				if want := map[bool]string{true: "0x1", false: ""}[c.code == 3010]; reboot != want {
					t.Errorf("RebootRequired = %q, want %q", reboot, want)
				}
				pnputilExits(t, 0)
				msiexec(t, ok, "/x", msi, "/qn")
				if got, want := pnputilLog(), []string{`/delete-driver|oem1.inf|/uninstall`}; !slices.Equal(got, want) {
					t.Errorf("uninstall: pnputil calls %q, want %q", got, want)
				}
				if w.KeyExists(device) {
					t.Error("device node left after uninstall")
				}
				return
			}
			// Windows reports 1603, Wine 8.0 1627 (ERROR_FUNCTION_FAILED);
			// Wine passes the low 8 bits.
			os.Remove(w.Path(helperLog))
			msiexec(t, []int{winetest.Code(1603), winetest.Code(1627)}, "/i", msi, "/qn")
			// The helper's log names pnputil's code.
			if b, _ := os.ReadFile(w.Path(helperLog)); !strings.Contains(string(b), "/install exited with code "+strconv.Itoa(c.code)) {
				t.Errorf("helper log does not name pnputil's code %d:\n%s", c.code, b)
			}
			want := []string{add}
			if c.staged {
				want = append(want, `/delete-driver|oem1.inf|/uninstall`)
			}
			if got := pnputilLog(); !slices.Equal(got, want) {
				t.Errorf("pnputil calls %q, want %q", got, want)
			}
			if w.Exists(oem) {
				t.Error("rollback left the driver package in the driver store")
			}
			if !gone(func() bool {
				return w.KeyExists(svcKey) || w.Exists(dir+"VscService.exe") || w.Exists(dir+"VscHelper.exe")
			}) {
				t.Error("rollback left the service or its files")
			}
			if w.KeyExists(arp+productCode) || w.KeyExists(state) {
				t.Error("rolled-back product is registered, or the helper's record is left")
			}
			if w.KeyExists(device) {
				t.Error("rollback left a device node")
			}
		})
	}

	// Problem 5: the guards, on Wine's registry as a test edits it. The
	// build number is a string: "9600" is more than "14393" as text, so
	// refusing it proves the integer comparison.
	t.Run("guards", func(t *testing.T) {
		if arch, _ := w.RegValue(sessionEnv, "PROCESSOR_ARCHITECTURE"); arch != "AMD64" {
			t.Fatalf("Wine's PROCESSOR_ARCHITECTURE %q, want AMD64", arch)
		}
		msiexec(t, ok, "/i", msi, "/qn") // the same machine accepts it
		msiexec(t, ok, "/x", msi, "/qn")
		pnputilLog()
		setReg(t, cv, "CurrentBuildNumber", "9600")
		msiexec(t, []int{winetest.Code(1603)}, "/i", msi, "/qn")
		setReg(t, cv, "CurrentBuildNumber", "14393") // the first build it accepts
		msiexec(t, ok, "/i", msi, "/qn")
		msiexec(t, ok, "/x", msi, "/qn")
		pnputilLog()
		setReg(t, cv, "CurrentBuildNumber", "19045")
		setReg(t, sessionEnv, "PROCESSOR_ARCHITECTURE", "ARM64")
		msiexec(t, []int{winetest.Code(1603)}, "/i", msi, "/qn")
		setReg(t, sessionEnv, "PROCESSOR_ARCHITECTURE", "AMD64")
		if got := pnputilLog(); len(got) != 0 || w.KeyExists(arp+productCode) {
			t.Errorf("a refused install ran pnputil %q or registered the product", got)
		}
	})

	// Both packages on one machine share the driver package (pnputil adds
	// an identical INF once): removing one must leave it to the other.
	t.Run("shared driver", func(t *testing.T) {
		msiexec(t, ok, "/i", msi, "/qn")
		msiexec(t, ok, "/i", custMSI, "/qn")
		if out, _ := w.Output("sc", "query", "RemoteSupportVscCust"); !strings.Contains(out, "RUNNING") {
			t.Errorf("customer service not running:\n%s", out)
		}
		pnputilLog()
		msiexec(t, ok, "/x", msi, "/qn")
		if got := pnputilLog(); len(got) != 0 {
			t.Errorf("removing the representative package with the customer one installed called pnputil %q", got)
		}
		if !w.Exists(oem) {
			t.Error("the customer package's driver was deleted from the store")
		}
		if w.KeyExists(state) {
			t.Error("the representative package's record is left")
		}
		if !w.KeyExists(device) {
			t.Error("removing the representative package removed the device node the customer package uses")
		}
		msiexec(t, ok, "/x", custMSI, "/qn")
		if got, want := pnputilLog(), []string{`/delete-driver|oem1.inf|/uninstall`}; !slices.Equal(got, want) {
			t.Errorf("pnputil calls %q, want %q", got, want)
		}
		if !gone(func() bool {
			return w.Exists(oem) || w.KeyExists(`HKLM\System\CurrentControlSet\Services\RemoteSupportVscCust`)
		}) {
			t.Error("driver package or customer service left after removing both")
		}
		if w.KeyExists(device) {
			t.Error("device node left after removing both packages")
		}
	})

	// A major upgrade stops and replaces the service and leaves one
	// product registered; a downgrade is refused. Wine's
	// RemoveExistingProducts runs "msiexec /qn /i {old} REMOVE=ALL" as a
	// separate process (the format string is in Wine's msi.dll): outside
	// the new install's transaction, so a failed upgrade cannot restore
	// the old product there, and without UPGRADINGPRODUCTCODE, so the old
	// package deletes the driver and the new one adds it again. On
	// Windows the removal runs inside the transaction (RemoveExistingProducts
	// after InstallInitialize, read back in TestVSCTables) with
	// UPGRADINGPRODUCTCODE set, which the first step reproduces by hand.
	t.Run("major upgrade", func(t *testing.T) {
		c.Product.Version = "1.4.3"
		next, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var newMSI, newCode string
		for _, a := range next {
			if a.Kind == packaging.KindVSCRepresentative {
				newMSI, newCode = a.Path, a.ProductCode
			}
		}
		// Problem 4: the old product's removal during an upgrade
		// (UPGRADINGPRODUCTCODE set, as Windows sets it) leaves the driver
		// to the new package, which adds it again; its rollback would
		// leave it (it was in the store before).
		msiexec(t, ok, "/i", msi, "/qn")
		pnputilLog()
		msiexec(t, ok, "/x", msi, "/qn", "UPGRADINGPRODUCTCODE="+newCode)
		if got := pnputilLog(); len(got) != 0 || !w.Exists(oem) {
			t.Errorf("an upgrade's removal of the old product called pnputil %q (driver in the store: %v)", got, w.Exists(oem))
		}
		pnputilExits(t, 5)
		msiexec(t, []int{winetest.Code(1603), winetest.Code(1627)}, "/i", newMSI, "/qn")
		pnputilExits(t, 0)
		if got, want := pnputilLog(), []string{`/add-driver|` + inf + `|/install`}; !slices.Equal(got, want) || !w.Exists(oem) {
			t.Errorf("failed new install: pnputil calls %q, want %q; the driver that was there before must stay (in the store: %v)", got, want, w.Exists(oem))
		}
		msiexec(t, ok, "/i", newMSI, "/qn")
		msiexec(t, ok, "/x", newMSI, "/qn")
		pnputilLog()

		// Wine's upgrade: the old product's removal (no
		// UPGRADINGPRODUCTCODE) deletes the driver, the new one adds it.
		msiexec(t, ok, "/i", msi, "/qn")
		pnputilLog()
		msiexec(t, ok, "/i", newMSI, "/qn")
		if got, want := pnputilLog(), []string{`/delete-driver|oem1.inf|/uninstall`, `/add-driver|` + inf + `|/install`}; !slices.Equal(got, want) {
			t.Errorf("pnputil calls %q, want %q", got, want)
		}
		if out, _ := w.Output("sc", "query", "RemoteSupportVscRep"); !strings.Contains(out, "RUNNING") {
			t.Errorf("service not running after the upgrade:\n%s", out)
		}
		if v, _ := w.RegValue(`HKLM\Software\Example Corp\Example Support Console VSC\Representative`, "Version"); v != "1.4.3" {
			t.Errorf("registered version %q after the upgrade, want 1.4.3", v)
		}
		if w.KeyExists(arp+productCode) || !w.KeyExists(arp+newCode) {
			t.Error("want exactly the new product registered after the upgrade")
		}
		msiexec(t, []int{winetest.Code(1603)}, "/i", msi, "/qn") // downgrade
		msiexec(t, ok, "/x", newMSI, "/qn")
		if !gone(func() bool { return w.KeyExists(svcKey) || w.Exists(oem) || w.KeyExists(state) || w.KeyExists(device) }) {
			t.Error("service, driver, device node or the helper's record left after uninstalling the upgrade")
		}
	})
}

// gone waits up to 5 s for present() to turn false: under load Wine's
// service manager finishes deleting a service a moment after msiexec has
// returned.
func gone(present func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); present(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
	return true
}

// TestSignedVSCHelper: the helper in the Binary table is signed with the
// release signer, like every payload program.
func TestSignedVSCHelper(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "go")
	ctx := context.Background()
	c := testutil.LoadExampleWithVSC(t, "x64")
	dir := t.TempDir()
	certPEM, keyPEM, err := sign.NewDevCert("msiforge vsc test", time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadPEM(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := release.Build(ctx, execx.OS{}, c, release.Options{OutDir: filepath.Join(dir, "dist"), Signer: release.NewSigner(s), SignPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range arts {
		if a.Kind != packaging.KindVSCRepresentative && a.Kind != packaging.KindVSCCustomer {
			continue
		}
		n++
		f, err := msi.Open(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := f.OpenStream("Binary." + wix.VSCHelperBinary)
		if err != nil {
			t.Fatal(err)
		}
		helper := filepath.Join(dir, a.Kind+".exe")
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(helper, b, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := sign.Verify(helper, sign.VerifyOptions{Roots: s.BuildRoots()})
		if err != nil || !v.OK() {
			t.Errorf("%s: helper in the Binary table not signed: %v %+v", a.Kind, err, v)
		}
	}
	if n != 2 {
		t.Errorf("built %d VSC packages, want 2", n)
	}
}

// TestVSCHardwareID: vsc.<role>.hardware_id overrides the INF's first
// model, and an INF without one is an error naming the setting.
func TestVSCHardwareID(t *testing.T) {
	c := testutil.LoadExampleWithVSC(t, "x64")
	c.VSC.Representative.HardwareID = `ROOT\OTHERREADER`
	// The customer's comes from the INF (the test example's is a placeholder).
	c.VSC.Customer.HardwareID = ""
	inf := c.Path(c.VSC.Customer.Files["x64"].INF)
	copyFile(t, filepath.Join(testutil.RepoRoot(t), "examples", "vsc", "driver", "vscsample.inf"), inf)
	srcs, err := release.Sources(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.VSC == nil {
			continue
		}
		want := map[string]string{"representative": `ROOT\OTHERREADER`, "customer": `ROOT\VSCSAMPLE`}[s.VSC.Role]
		if s.VSC.HardwareID != want || !strings.Contains(string(s.Text), `&quot;`+want+`&quot;`) {
			t.Errorf("%s: hardware ID %q, want %q in the add command", s.VSC.Role, s.VSC.HardwareID, want)
		}
	}
	if err := os.WriteFile(inf, []byte("[Version]\nSignature=\"$WINDOWS NT$\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := release.Sources(c, nil); err == nil || !strings.Contains(err.Error(), "vsc.customer.hardware_id: not set") {
		t.Errorf("INF without models: err %v, want one naming vsc.customer.hardware_id", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
