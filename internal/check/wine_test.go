package check_test

import (
	"context"
	"fmt"
	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/wix"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/simulate"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging"
	msipkg "github.com/msiforge/msiforge/packaging/msi"
)

// wineDiffers (from matrix.WineDiffers, which the verification kit
// shares) are the lifecycle scenarios whose outcome under Wine's
// Windows Installer differs from Windows' documented behaviour (which
// matrix --check simulates), each with its entry in
// docs/wine-differences.md. TestWineScenarios fails when one of them
// starts to agree (update the document) and when any other one disagrees.
var wineDiffers = func() map[string]string {
	m := map[string]string{}
	for id, d := range matrix.WineDiffers() {
		m[id] = d.Reason
	}
	return m
}()

const (
	wineSettingsKey = `Software\Example Corp\Example Support Console`
	wineRunKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	wineExe         = "ExampleConsole.exe"
)

// wineState is what a scenario looks at after a step, read from the prefix.
type wineState struct {
	settings map[string]map[string]string // hive -> value name -> data
	run      map[string]bool              // hive -> a Run value exists
	products map[string]bool              // "CODE:per-user" / "CODE:per-machine"
	files    map[string]bool              // exe path -> exists
}

func (s wineState) String() string {
	var lines []string
	for h, vs := range s.settings {
		for k, v := range vs {
			lines = append(lines, fmt.Sprintf("%s %s=%s", h, k, v))
		}
	}
	for h, ok := range s.run {
		lines = append(lines, fmt.Sprintf("run %s %v", h, ok))
	}
	for p := range s.products {
		lines = append(lines, "product "+p)
	}
	for f, ok := range s.files {
		lines = append(lines, fmt.Sprintf("file %s %v", f, ok))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func (s wineState) hasSettings() bool {
	for _, vs := range s.settings {
		if len(vs) > 0 {
			return true
		}
	}
	for _, ok := range s.run {
		if ok {
			return true
		}
	}
	return false
}

// scrub removes what a scenario left outside any registered product, so
// the next one starts clean: Wine's maintenance run of a product in the
// other context writes the settings and the Run value into the command
// line's hive (it resolves HKMU by ALLUSERS: docs/wine-differences.md, row
// 5), and no uninstall removes them.
func scrub(w *winetest.Prefix) {
	for _, h := range []string{"HKCU", "HKLM", `HKLM\Software\Wow6432Node`} {
		key, run := h+`\`+wineSettingsKey, h+`\`+wineRunKey
		if strings.Contains(h, "Wow6432Node") {
			key = h + `\` + strings.TrimPrefix(wineSettingsKey, `Software\`)
			run = h + `\` + strings.TrimPrefix(wineRunKey, `Software\`)
		}
		if len(regValues(w, key)) > 0 {
			w.Run("reg", "delete", key, "/f")
		}
		for name := range regValues(w, run) {
			w.Run("reg", "delete", run, "/v", name, "/f")
		}
	}
}

func regValues(w *winetest.Prefix, key string) map[string]string {
	out, rc := w.Output("reg", "query", key)
	vals := map[string]string{}
	if rc != 0 {
		return vals
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(line), "    ", 3)
		if len(f) >= 2 && strings.HasPrefix(f[1], "REG_") {
			if len(f) == 3 {
				vals[f[0]] = f[2]
			} else {
				vals[f[0]] = ""
			}
		}
	}
	return vals
}

func regSubkeys(w *winetest.Prefix, key string) map[string]bool {
	out, _ := w.Output("reg", "query", key)
	keys := map[string]bool{}
	prefix := strings.ToUpper(key) + `\`
	for _, line := range strings.Split(out, "\n") {
		l := strings.ToUpper(strings.TrimSpace(line))
		l = strings.Replace(l, "HKEY_LOCAL_MACHINE", "HKLM", 1)
		l = strings.Replace(l, "HKEY_CURRENT_USER", "HKCU", 1)
		if strings.HasPrefix(l, prefix) {
			keys[strings.TrimPrefix(l, prefix)] = true
		}
	}
	return keys
}

func readWine(w *winetest.Prefix, codes []string) wineState {
	s := wineState{settings: map[string]map[string]string{}, run: map[string]bool{}, products: map[string]bool{}, files: map[string]bool{}}
	for _, h := range []string{"HKCU", "HKLM", `HKLM\Software\Wow6432Node`} {
		key := h + `\` + wineSettingsKey
		run := h + `\` + wineRunKey
		if strings.Contains(h, "Wow6432Node") {
			key = h + `\` + strings.TrimPrefix(wineSettingsKey, `Software\`)
			run = h + `\` + strings.TrimPrefix(wineRunKey, `Software\`)
		}
		s.settings[h] = regValues(w, key)
		s.run[h] = len(regValues(w, run)) > 0
		if dir, ok := s.settings[h]["InstallDir"]; ok && dir != "" {
			s.files[dir+wineExe] = w.Exists(dir + wineExe)
		}
	}
	user := regSubkeys(w, `HKCU\Software\Microsoft\Installer\Products`)
	machine := regSubkeys(w, `HKLM\Software\Classes\Installer\Products`)
	for _, c := range codes {
		if user[wix.PackedGUID(c)] {
			s.products[strings.ToUpper(c)+":per-user"] = true
		}
		if machine[wix.PackedGUID(c)] {
			s.products[strings.ToUpper(c)+":per-machine"] = true
		}
	}
	return s
}

// wineArgs renders a scenario step as msiexec arguments. Under Wine an
// empty ALLUSERS= must come last, and an uninstall or repair of a
// per-machine product needs ALLUSERS=1 (Wine does not take the context
// from the registration: docs/wine-differences.md).
func wineArgs(st matrix.Step, path, code string, perMachine bool) []string {
	var props []string
	allUsers := ""
	for _, p := range st.Props {
		if strings.HasPrefix(p, "ALLUSERS=") {
			allUsers = p
			continue
		}
		if strings.HasPrefix(p, "INSTALLDIR=") {
			// Wine hands msiexec a trailing backslash before a quote
			// doubled ("...Console\\"), which Windows' command line does
			// not; the package accepts the folder without it.
			p = strings.TrimSuffix(p, `\`)
		}
		props = append(props, matrix.OnSystemDrive(p))
	}
	var args []string
	switch st.Action {
	case matrix.ActInstall:
		args = []string{"/i", path, "/qn"}
	case matrix.ActRepair:
		// Wine 8's msiexec /f is not implemented for a product code
		// ("Product code treatment not implemented yet", exit 1) and
		// fails with 1605 for a package path; the reinstall it stands for
		// is the same.
		args = []string{"/i", path, "/qn", "REINSTALL=ALL", "REINSTALLMODE=pecms"}
	case matrix.ActUninstall:
		args = []string{"/x", code, "/qn"}
	}
	args = append(args, props...)
	if allUsers == "" && perMachine && st.Action != matrix.ActInstall {
		allUsers = "ALLUSERS=1"
	}
	if allUsers != "" {
		args = append(args, allUsers)
	}
	return args
}

// TestWineScenarios plays the single-package lifecycle scenarios with
// Wine's msiexec on real packages (next: a 1.5.0 build; rebuild: the same
// MSI with another PackageCode; sibling: the x86 build of 1.4.2), and
// compares each outcome with the scenario's expectation: the scenarios in
// which Wine behaves like Windows must pass, the others are listed in
// wineDiffers and proven by the simulation alone.
func TestWineScenarios(t *testing.T) {
	base := buildVersion(t, "x64", "")
	rebuild := t.TempDir() + "/rebuild.msi"
	if err := packaging.CopyFile(base, rebuild); err != nil {
		t.Fatal(err)
	}
	if err := msipkg.ApplyFixes(context.Background(), execx.OS{}, rebuild,
		[]msipkg.Fix{msipkg.FixSummary(map[int]string{msipkg.PIDRevision: "{5EED0000-0000-4000-8000-0000000000C2}"})}); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{
		matrix.PkgThis: base, matrix.PkgRebuild: rebuild,
		matrix.PkgNext: buildVersion(t, "x64", "1.5.0"), matrix.PkgSibling: buildVersion(t, "x86", ""),
	}
	codes := map[string]string{}
	var all []string
	for name, p := range paths {
		f, err := msi.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		props, err := f.Properties()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		codes[name] = strings.ToUpper(props["ProductCode"])
		all = append(all, codes[name])
	}
	w := winetest.New(t)
	for _, sc := range matrix.Scenarios(zeroDefaults) {
		if sc.Group == matrix.GroupUpgrade || sc.Step.As == matrix.ContextSystem {
			continue // no Local System account in a Wine prefix; upgrades: TestUpgradeFrom
		}
		t.Run(sc.ID, func(t *testing.T) {
			// A clean machine: remove whatever the last scenario left.
			for p := range readWine(w, all).products {
				code, ctx, _ := strings.Cut(p, ":")
				args := []string{"/x", code, "/qn"}
				if ctx == "per-machine" {
					args = append(args, "ALLUSERS=1")
				}
				w.Msiexec(args...)
			}
			scrub(w)
			if left := readWine(w, all); len(left.products) > 0 || left.hasSettings() {
				t.Fatalf("could not clean the prefix: %s", left)
			}
			perMachine := false
			for i, st := range sc.Setup {
				if rc := w.Msiexec(wineArgs(st, paths[st.Package], codes[st.Package], perMachine)...); rc != 0 {
					t.Fatalf("setup step %d (%s): exit %d", i+1, st, rc)
				}
				perMachine = strings.Contains(strings.Join(st.Props, " "), "ALLUSERS=1")
			}
			before := readWine(w, all)
			var installed string
			for p := range before.products {
				installed = p
			}
			rc := w.Msiexec(wineArgs(sc.Step, paths[sc.Step.Package], codes[sc.Step.Package], perMachine)...)
			after := readWine(w, all)
			for f := range before.files { // the files of a removed install
				if _, ok := after.files[f]; !ok {
					after.files[f] = w.Exists(f)
				}
			}
			problems := compareWine(sc, rc, before, after, codes, installed)
			reason, known := wineDiffers[sc.ID]
			switch {
			case known && len(problems) == 0:
				t.Errorf("Wine now behaves like Windows here: remove %s from wineDiffers and docs/wine-differences.md (%s)", sc.ID, reason)
			case known:
				t.Logf("Wine differs, as docs/wine-differences.md says (%s): %s", reason, strings.Join(problems, "; "))
			case len(problems) > 0:
				t.Errorf("%s\nunder Wine: %s", sc.Step, strings.Join(problems, "; "))
			}
		})
	}
}

func compareWine(sc matrix.Scenario, rc int, before, after wineState, codes map[string]string, installed string) []string {
	want := sc.Want
	var p []string
	if rc != winetest.Code(want.Exit) {
		p = append(p, fmt.Sprintf("exit %d, want %d (%d)", rc, winetest.Code(want.Exit), want.Exit))
	}
	if want.Unchanged && before.String() != after.String() {
		p = append(p, "the prefix changed:\n"+before.String()+"\n->\n"+after.String())
	}
	if want.Products != nil {
		var got, w []string
		for q := range after.products {
			got = append(got, q)
		}
		for _, q := range want.Products {
			name, ctx, _ := strings.Cut(q, ":")
			w = append(w, codes[name]+":"+ctx)
		}
		sort.Strings(got)
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			p = append(p, fmt.Sprintf("registered %v, want %v", got, w))
		}
	}
	// The hive of the product the scenario is about.
	hive := "HKCU"
	ctxOf := installed
	if len(want.Products) > 0 {
		_, ctxOf, _ = strings.Cut(want.Products[0], ":")
	} else if installed != "" {
		_, ctxOf, _ = strings.Cut(installed, ":")
	}
	if strings.HasSuffix(ctxOf, "per-machine") {
		hive = "HKLM"
	}
	for k, v := range want.Settings {
		got, ok := after.settings[hive][k]
		v = matrix.OnSystemDrive(v)
		switch {
		case v == "" && ok:
			p = append(p, fmt.Sprintf("%s %s=%q left", hive, k, got))
		case v != "" && !strings.EqualFold(got, v):
			p = append(p, fmt.Sprintf("%s %s=%q (exists %v), want %q", hive, k, got, ok, v))
		}
	}
	if want.Run != "" && after.run[hive] != (want.Run == "yes") {
		p = append(p, fmt.Sprintf("Run value in %s: %v, want %s", hive, after.run[hive], want.Run))
	}
	if want.Files != "" {
		dir := after.settings[hive]["InstallDir"]
		if dir == "" {
			dir = before.settings[hive]["InstallDir"]
		}
		exists := false
		for f, ok := range after.files {
			exists = exists || (ok && strings.HasPrefix(strings.ToLower(f), strings.ToLower(dir)))
		}
		if exists != (want.Files == "yes") {
			p = append(p, fmt.Sprintf("files under %q: %v, want %s", dir, exists, want.Files))
		}
	}
	return p
}

// TestWineFindRelatedProductsCrossesContexts measures two differences the
// scenarios cannot show with a correct package: with the other-context
// launch conditions removed, Wine's FindRelatedProducts finds a per-user
// 1.4.2 from a per-machine 1.5.0 and RemoveExistingProducts removes it,
// where Windows (and the simulation) leave it; and Wine caches the whole
// MSI, cabinet included, in C:\windows\Installer.
func TestWineFindRelatedProductsCrossesContexts(t *testing.T) {
	old := buildVersion(t, "x64", "")
	next := buildVersion(t, "x64", "1.5.0")
	var sql []string
	for _, marker := range []string{"NOT MachineInstallDir", "NOT UserInstallDir"} {
		r := rowWhere(t, next, "LaunchCondition", "Condition", marker)
		sql = append(sql, "DELETE FROM `LaunchCondition` WHERE `Condition` = "+msitools.Quote(r["Condition"]))
	}
	next = mutate(t, next, sql...)

	// The simulation: two products, one per context.
	of, op, err := check.OpenPackage(old)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	nf, np, err := check.OpenPackage(next)
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Close()
	m := simulate.NewMachine()
	if out, err := m.Exec(op, nil, simulate.AccountUser); err != nil || out.Exit != 0 {
		t.Fatalf("simulated 1.4.2: %v %+v", err, out)
	}
	out, err := m.Exec(np, map[string]string{"ALLUSERS": "1"}, simulate.AccountUser)
	if err != nil || out.Exit != 0 || len(out.Removed) != 0 || len(m.Products) != 2 {
		t.Fatalf("simulated per-machine 1.5.0: %v %+v, %d products", err, out, len(m.Products))
	}

	w := winetest.New(t)
	if rc := w.Msiexec("/i", old, "/qn"); rc != 0 {
		t.Fatalf("1.4.2 per-user: exit %d", rc)
	}
	codes := []string{strings.ToUpper(op.Property("ProductCode")), strings.ToUpper(np.Property("ProductCode"))}
	if rc := w.Msiexec("/i", next, "/qn", "ALLUSERS=1"); rc != 0 {
		t.Fatalf("1.5.0 per-machine: exit %d", rc)
	}
	st := readWine(w, codes)
	if st.products[codes[0]+":per-user"] || !st.products[codes[1]+":per-machine"] {
		t.Errorf("Wine kept the per-user 1.4.2 (now like Windows: update docs/wine-differences.md): %s", st)
	}

	// The cached package is a whole copy of the MSI.
	info, err := os.Stat(next)
	if err != nil {
		t.Fatal(err)
	}
	cached, _ := filepath.Glob(w.Path(`C:\windows\Installer`) + "/*.msi")
	whole := false
	for _, c := range cached {
		if fi, err := os.Stat(c); err == nil && fi.Size() == info.Size() {
			whole = true
		}
	}
	if !whole {
		t.Errorf("no cached package of %d bytes in C:\\windows\\Installer (%v): Wine no longer caches the whole MSI; update docs/wine-differences.md", info.Size(), cached)
	}
}
