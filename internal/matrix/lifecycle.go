package matrix

import (
	"fmt"
	"strings"
)

// The lifecycle scenarios: what happens to the console after its first
// install. Each scenario is a few msiexec runs on a clean simulated
// machine (internal/simulate) and what the last one must end with. The
// expected outcomes come from the update matrix above and from Windows
// Installer's documented lifecycle rules:
//   - a second msiexec /i of an installed ProductCode is a maintenance run
//     (Installed set) that changes nothing without REINSTALL
//     (https://learn.microsoft.com/en-us/windows/win32/msi/installed);
//   - REINSTALL=ALL REINSTALLMODE=omus rewrites the registry and evaluates
//     again only the conditions of transitive components
//     (https://learn.microsoft.com/en-us/windows/win32/msi/using-transitive-components);
//   - FindRelatedProducts finds only products of the installing context and
//     does not run in maintenance
//     (https://learn.microsoft.com/en-us/windows/win32/msi/findrelatedproducts-action);
//   - the same ProductCode with another PackageCode fails with 1638
//     (https://learn.microsoft.com/en-us/windows/win32/msi/error-codes);
//   - launch conditions run on an uninstall too
//     (https://learn.microsoft.com/en-us/windows/win32/msi/launchconditions-action).

// Packages a scenario runs. The single-package lifecycle derives its other
// packages from the checked one: the same tables with another ProductCode
// and a higher version (the next release), with the same ProductCode and
// another PackageCode (a rebuild), or with another ProductCode and the
// same version (another architecture or build of this version).
const (
	PkgThis    = "this"
	PkgNext    = "next"    // the next version, built from the same tables
	PkgRebuild = "rebuild" // same ProductCode and version, another PackageCode
	PkgSibling = "sibling" // same version, another ProductCode (other arch)
	PkgOld     = "old"     // --upgrade-from
	PkgNew     = "new"     // the checked package, with --upgrade-from
)

// Step actions.
const (
	ActInstall   = "install"   // msiexec /i PACKAGE PROPS
	ActRepair    = "repair"    // msiexec /f PRODUCTCODE
	ActUninstall = "uninstall" // msiexec /x PRODUCTCODE PROPS
)

// Exit codes a step may end with.
const (
	ExitOK      = 0
	ExitRefused = 1603 // a launch condition refused; nothing changed
	Exit1638    = 1638 // another version of this product is installed
)

// Placeholders in Expect.MessageHas, filled in by the checker.
const (
	HoleInstalledCode = "{installed-code}" // ProductCode of the product installed by the setup
	HoleInstalledDir  = "{installed-dir}"  // its INSTALLDIR
	HoleInstalledCtx  = "{installed-context}"
)

// OtherDir is the INSTALLDIR a refused folder change asks for.
const OtherDir = `E:\Elsewhere\Support Console\`

// Step is one msiexec run.
type Step struct {
	Package string   `json:"package"`
	Action  string   `json:"action"`
	Props   []string `json:"props,omitempty"` // NAME=VALUE, in command-line order
	As      string   `json:"as"`              // ContextUser or ContextSystem
}

func (s Step) String() string {
	var b strings.Builder
	switch s.Action {
	case ActInstall:
		fmt.Fprintf(&b, "msiexec /i %s", s.Package)
	case ActRepair:
		fmt.Fprintf(&b, "msiexec /f %s", s.Package)
	case ActUninstall:
		fmt.Fprintf(&b, "msiexec /x %s", s.Package)
	}
	for _, p := range s.Props {
		if strings.ContainsAny(p, ` "`) {
			p = `"` + p + `"`
		}
		b.WriteString(" " + p)
	}
	if s.As == ContextSystem {
		b.WriteString(" as system")
	}
	return b.String()
}

// Expect is what the last step of a scenario ends with.
type Expect struct {
	Exit       int      `json:"exit"`
	MessageHas []string `json:"message_has,omitempty"` // fragments the refusal's message contains
	Unchanged  bool     `json:"unchanged,omitempty"`   // the machine is as before the step
	// Products registered afterwards, as PACKAGE:SCOPE ("next:per-user").
	Products []string `json:"products"`
	// Settings values of the remaining product in its hive
	// (Software\<Manufacturer>\<Product>); "" means absent.
	Settings map[string]string `json:"settings,omitempty"`
	// Run: "yes" (a Run value in the product's hive), "no", or "" (not checked).
	Run string `json:"run,omitempty"`
	// Files: "yes" (the product's files are installed), "no", or "".
	Files string `json:"files,omitempty"`
}

// Scenario is one row of the lifecycle table.
type Scenario struct {
	ID    string `json:"id"`
	Group string `json:"group"` // GroupOmitted, GroupLifecycle, GroupUpgrade
	Rule  string `json:"rule"`  // what it shows, in the product's words
	// When restricts an upgrade scenario to a relation between the two
	// packages: RelNewer, RelSameVersion ("" for every single-package one).
	When  string `json:"when,omitempty"`
	Setup []Step `json:"setup,omitempty"` // runs that must succeed first
	Step  Step   `json:"step"`
	Want  Expect `json:"want"`
}

// Scenario groups.
const (
	GroupOmitted   = "omitted properties"
	GroupLifecycle = "lifecycle"
	GroupUpgrade   = "upgrade"
)

// Relations between --upgrade-from's OLD and the checked package.
const (
	RelNewer       = "newer"        // a higher version, another ProductCode
	RelSameVersion = "same-version" // the same version, another ProductCode (other arch or build)
)

// Defaults are the configured values of the properties a command line may
// omit (msiforge.yaml's console.defaults).
type Defaults struct {
	RunAtStartup     string `json:"run_at_startup"`
	ShouldAutoUpdate string `json:"should_auto_update"`
}

// ParseDefaults reads "run_at_startup=0,should_auto_update=1"; omitted
// keys are 0.
func ParseDefaults(s string) (Defaults, error) {
	d := Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"}
	if strings.TrimSpace(s) == "" {
		return d, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || (v != "0" && v != "1") {
			return d, fmt.Errorf("--defaults %q: want run_at_startup=0|1,should_auto_update=0|1", kv)
		}
		switch k {
		case "run_at_startup":
			d.RunAtStartup = v
		case "should_auto_update":
			d.ShouldAutoUpdate = v
		default:
			return d, fmt.Errorf("--defaults: unknown key %q (want run_at_startup or should_auto_update)", k)
		}
	}
	return d, nil
}

func (d Defaults) String() string {
	return "run_at_startup=" + d.RunAtStartup + ",should_auto_update=" + d.ShouldAutoUpdate
}

// CustomInstallDir is the INSTALLDIR the scenarios give when they give one.
const CustomInstallDir = `D:\Apps\Support Console\`

// scope is one install context as the scenarios use it.
type scope struct {
	name     string // per-user, per-machine
	allUsers string // "" or "1"
}

var scopes = []scope{{"per-user", ""}, {"per-machine", "1"}}

func (s scope) other() scope {
	if s.allUsers == "" {
		return scopes[1]
	}
	return scopes[0]
}

// props renders the ALLUSERS a context's command line carries, then kv.
func (s scope) props(kv ...string) []string {
	var p []string
	if s.allUsers != "" {
		p = append(p, PropAllUsers+"="+s.allUsers)
	}
	return append(p, kv...)
}

// settings are the settings values an install with these properties
// writes, from the update matrix.
func settings(s scope, run, au, dir string) map[string]string {
	row, err := Decide(s.allUsers, au)
	if err != nil {
		return nil
	}
	eff := "0"
	if row.AutoUpdate {
		eff = "1"
	}
	m := map[string]string{"RunAtStartup": run, "ShouldAutoUpdate": au, "AutoUpdate": eff}
	if dir != "" {
		m["InstallDir"] = dir
	}
	return m
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Scenarios is the lifecycle table for a package with the given defaults.
func Scenarios(d Defaults) []Scenario {
	var out []Scenario
	out = append(out, omitted(d)...)
	for _, s := range scopes {
		out = append(out, lifecycle(s)...)
	}
	for _, s := range scopes {
		out = append(out, upgrades(s)...)
	}
	return out
}

// omitted: each property left out of the command line takes the
// configured default, in each context and as each account.
func omitted(d Defaults) []Scenario {
	var out []Scenario
	for _, as := range []string{ContextUser, ContextSystem} {
		for _, s := range scopes {
			type combo struct{ run, au string }
			for _, c := range []combo{{"", ""}, {"", "0"}, {"", "1"}, {"0", ""}, {"1", ""}} {
				var kv []string
				run, au := d.RunAtStartup, d.ShouldAutoUpdate
				var id []string
				if c.run != "" {
					kv, run = append(kv, PropRunAtStartup+"="+c.run), c.run
				} else {
					id = append(id, "no-"+strings.ToLower(PropRunAtStartup))
				}
				if c.au != "" {
					kv, au = append(kv, PropShouldAutoUpdate+"="+c.au), c.au
				} else {
					id = append(id, "no-"+strings.ToLower(PropShouldAutoUpdate))
				}
				name := fmt.Sprintf("%s/%s", s.name, strings.Join(id, "+"))
				if len(kv) > 0 {
					name += "/" + strings.ToLower(strings.Join(kv, ","))
				}
				if as == ContextSystem {
					name += "/as-system"
				}
				out = append(out, Scenario{ID: name, Group: GroupOmitted,
					Rule: "an omitted property takes its configured default (" + d.String() + ")",
					Step: Step{Package: PkgThis, Action: ActInstall, Props: s.props(kv...), As: as},
					Want: Expect{Exit: ExitOK, Products: []string{PkgThis + ":" + s.name}, Settings: settings(s, run, au, ""), Run: yes(run == "1"), Files: "yes"}})
			}
		}
	}
	return out
}

func lifecycle(s scope) []Scenario {
	this := PkgThis + ":" + s.name
	install := func(pkg string, kv ...string) Step {
		return Step{Package: pkg, Action: ActInstall, Props: s.props(kv...), As: ContextUser}
	}
	change := func(kv ...string) Step {
		return install(PkgThis, append(append([]string{}, ChangeArgs...), kv...)...)
	}
	full := install(PkgThis, "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1", "INSTALLDIR="+CustomInstallDir)
	fullSettings := settings(s, "1", "1", CustomInstallDir)
	unchanged := func(code int, msg ...string) Expect {
		return Expect{Exit: code, MessageHas: msg, Unchanged: true}
	}
	upper := strings.ToUpper(strings.TrimSuffix(CustomInstallDir, `\`))
	id := func(x string) string { return s.name + "/" + x }
	other := s.other()
	return []Scenario{
		{ID: id("rerun-same"), Group: GroupLifecycle, Rule: "a second install with the same values is a maintenance run that changes nothing",
			Setup: []Step{full}, Step: full, Want: unchanged(ExitOK)},
		{ID: id("rerun-invalid-runatstartup"), Group: GroupLifecycle, Rule: "an invalid value is refused on a re-run as on a first install",
			Setup: []Step{full}, Step: install(PkgThis, "RUNATSTARTUP=2"), Want: unchanged(ExitRefused, PropRunAtStartup)},
		{ID: id("rerun-invalid-shouldautoupdate"), Group: GroupLifecycle, Rule: "an invalid value is refused on a re-run as on a first install",
			Setup: []Step{full}, Step: install(PkgThis, "SHOULDAUTOUPDATE=yes"), Want: unchanged(ExitRefused, PropShouldAutoUpdate)},
		{ID: id("change-invalid-runatstartup"), Group: GroupLifecycle, Rule: "an invalid value is refused on a settings change",
			Setup: []Step{full}, Step: change("RUNATSTARTUP=true"), Want: unchanged(ExitRefused, PropRunAtStartup)},
		{ID: id("rerun-without-reinstall"), Group: GroupLifecycle, Rule: "a re-run without REINSTALL changes no setting: use the settings-change command",
			Setup: []Step{full}, Step: install(PkgThis, "RUNATSTARTUP=0"), Want: unchanged(ExitOK)},
		{ID: id("change-run-off"), Group: GroupLifecycle, Rule: "the settings change with RUNATSTARTUP=0 removes the Run value (transitive component)",
			Setup: []Step{full}, Step: change("RUNATSTARTUP=0", "SHOULDAUTOUPDATE=1"),
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: settings(s, "0", "1", CustomInstallDir), Run: "no", Files: "yes"}},
		{ID: id("change-run-on"), Group: GroupLifecycle, Rule: "the settings change with RUNATSTARTUP=1 adds the Run value (transitive component)",
			Setup: []Step{install(PkgThis, "RUNATSTARTUP=0", "SHOULDAUTOUPDATE=0")}, Step: change("RUNATSTARTUP=1", "SHOULDAUTOUPDATE=0"),
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: settings(s, "1", "0", ""), Run: "yes", Files: "yes"}},
		{ID: id("change-autoupdate"), Group: GroupLifecycle, Rule: "the settings change rewrites SHOULDAUTOUPDATE and the effective auto-update (update matrix)",
			Setup: []Step{install(PkgThis, "RUNATSTARTUP=0", "SHOULDAUTOUPDATE=0")}, Step: change("RUNATSTARTUP=0", "SHOULDAUTOUPDATE=1"),
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: settings(s, "0", "1", ""), Run: "no", Files: "yes"}},
		{ID: id("change-keeps-omitted"), Group: GroupLifecycle, Rule: "a settings change keeps the values it omits: each context reads its own remembered values",
			Setup: []Step{full}, Step: change(),
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: fullSettings, Run: "yes", Files: "yes"}},
		{ID: id("installdir-change-refused"), Group: GroupLifecycle, Rule: "another INSTALLDIR on an installed product is refused: uninstall, then install into the new folder",
			Setup: []Step{full}, Step: change("INSTALLDIR=" + OtherDir), Want: unchanged(ExitRefused, PropInstallDir)},
		{ID: id("installdir-same-accepted"), Group: GroupLifecycle, Rule: "the remembered INSTALLDIR, in other case and without the trailing backslash, is accepted",
			Setup: []Step{full}, Step: change("INSTALLDIR="+upper, "RUNATSTARTUP=0"),
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: settings(s, "0", "1", CustomInstallDir), Run: "no", Files: "yes"}},
		{ID: id("repair"), Group: GroupLifecycle, Rule: "a repair (msiexec /f) keeps every setting and the Run value",
			Setup: []Step{full}, Step: Step{Package: PkgThis, Action: ActRepair, As: ContextUser},
			Want: Expect{Exit: ExitOK, Products: []string{this}, Settings: fullSettings, Run: "yes", Files: "yes"}},
		{ID: id("uninstall"), Group: GroupLifecycle, Rule: "an uninstall removes the files, the settings and the Run value",
			Setup: []Step{full}, Step: Step{Package: PkgThis, Action: ActUninstall, As: ContextUser},
			Want: Expect{Exit: ExitOK, Products: []string{}, Settings: map[string]string{"InstallDir": "", "RunAtStartup": ""}, Run: "no", Files: "no"}},
		{ID: id("uninstall-invalid-value"), Group: GroupLifecycle, Rule: "an uninstall proceeds whatever values the command line gives (launch conditions still run)",
			Setup: []Step{full}, Step: Step{Package: PkgThis, Action: ActUninstall, Props: []string{"RUNATSTARTUP=2"}, As: ContextUser},
			Want: Expect{Exit: ExitOK, Products: []string{}, Run: "no", Files: "no"}},
		{ID: id("other-context-same-package"), Group: GroupLifecycle, Rule: "the same package in the other context is a maintenance run of the installed product: no second copy",
			Setup: []Step{full}, Step: Step{Package: PkgThis, Action: ActInstall, Props: other.props(), As: ContextUser}, Want: unchanged(ExitOK)},
		{ID: id("next-version"), Group: GroupLifecycle, Rule: "the next version in the same context replaces the installed one and keeps its settings",
			Setup: []Step{full}, Step: install(PkgNext),
			Want: Expect{Exit: ExitOK, Products: []string{PkgNext + ":" + s.name}, Settings: fullSettings, Run: "yes", Files: "yes"}},
		{ID: id("next-version-other-context"), Group: GroupLifecycle, Rule: "the next version in the other context is refused (Windows never upgrades across contexts); the message says where the installed copy is",
			Setup: []Step{full}, Step: Step{Package: PkgNext, Action: ActInstall, Props: other.props(), As: ContextUser},
			Want: unchanged(ExitRefused, HoleInstalledCtx, HoleInstalledDir)},
		{ID: id("rebuild"), Group: GroupLifecycle, Rule: "a rebuild of the installed version (same ProductCode, other PackageCode) fails with 1638",
			Setup: []Step{full}, Step: install(PkgRebuild), Want: unchanged(Exit1638)},
		{ID: id("same-version-other-build"), Group: GroupLifecycle, Rule: "another package of the installed version (other architecture) is refused, naming the installed product code",
			Setup: []Step{full}, Step: install(PkgSibling), Want: unchanged(ExitRefused, HoleInstalledCode)},
		{ID: id("downgrade"), Group: GroupLifecycle, Rule: "an older version over a newer one is refused",
			Setup: []Step{install(PkgNext)}, Step: install(PkgThis), Want: unchanged(ExitRefused, "newer")},
	}
}

// upgrades are the --upgrade-from scenarios: the previous release's
// package (old) and the checked one (new).
func upgrades(s scope) []Scenario {
	install := func(pkg string, sc scope, kv ...string) Step {
		return Step{Package: pkg, Action: ActInstall, Props: sc.props(kv...), As: ContextUser}
	}
	full := install(PkgOld, s, "RUNATSTARTUP=1", "SHOULDAUTOUPDATE=1", "INSTALLDIR="+CustomInstallDir)
	id := func(x string) string { return s.name + "/" + x }
	return []Scenario{
		{ID: id("upgrade"), Group: GroupUpgrade, When: RelNewer, Rule: "the new release in the same context replaces the old one and keeps its settings",
			Setup: []Step{full}, Step: install(PkgNew, s),
			Want: Expect{Exit: ExitOK, Products: []string{PkgNew + ":" + s.name}, Settings: settings(s, "1", "1", CustomInstallDir), Run: "yes", Files: "yes"}},
		{ID: id("upgrade-other-context"), Group: GroupUpgrade, When: RelNewer, Rule: "the new release in the other context is refused; the old one stays",
			Setup: []Step{full}, Step: install(PkgNew, s.other()),
			Want: Expect{Exit: ExitRefused, MessageHas: []string{HoleInstalledCtx, HoleInstalledDir}, Unchanged: true}},
		{ID: id("same-version-other-arch"), Group: GroupUpgrade, When: RelSameVersion, Rule: "the other architecture's package of the installed version is refused, naming the installed product code",
			Setup: []Step{full}, Step: install(PkgNew, s),
			Want: Expect{Exit: ExitRefused, MessageHas: []string{HoleInstalledCode}, Unchanged: true}},
		{ID: id("same-version-other-arch-other-context"), Group: GroupUpgrade, When: RelSameVersion, Rule: "the other architecture's package in the other context is refused",
			Setup: []Step{full}, Step: install(PkgNew, s.other()),
			Want: Expect{Exit: ExitRefused, Unchanged: true}},
	}
}

// ScenariosMarkdown renders the table for the README.
func ScenariosMarkdown(d Defaults) string {
	var b strings.Builder
	b.WriteString("| scenario | steps | expected | rule |\n|---|---|---|---|\n")
	for _, sc := range Scenarios(d) {
		if sc.Group == GroupOmitted {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", sc.ID, mdSteps(sc), md(sc.Want.String()), sc.Rule)
	}
	fmt.Fprintf(&b, "\nPlus %d first installs with RUNATSTARTUP and/or SHOULDAUTOUPDATE omitted (each context, as a user and as Local System): each omitted property takes its configured default.\n", countGroup(d, GroupOmitted))
	return b.String()
}

func countGroup(d Defaults, g string) int {
	n := 0
	for _, sc := range Scenarios(d) {
		if sc.Group == g {
			n++
		}
	}
	return n
}

func mdSteps(sc Scenario) string {
	var parts []string
	for _, st := range append(append([]Step{}, sc.Setup...), sc.Step) {
		parts = append(parts, "`"+st.String()+"`")
	}
	s := strings.Join(parts, " then ")
	if sc.When != "" {
		s += " (when new is " + sc.When + ")"
	}
	return md(s)
}

func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// String renders an expectation in a few words.
func (e Expect) String() string {
	var p []string
	switch e.Exit {
	case ExitOK:
		p = append(p, "exit 0")
	case ExitRefused:
		p = append(p, "refused (1603)")
	default:
		p = append(p, fmt.Sprintf("exit %d", e.Exit))
	}
	if len(e.MessageHas) > 0 {
		p = append(p, "message names "+strings.Join(e.MessageHas, ", "))
	}
	if e.Unchanged {
		p = append(p, "nothing changes")
	}
	if e.Products != nil {
		if len(e.Products) == 0 {
			p = append(p, "no product registered")
		} else {
			p = append(p, "registered: "+strings.Join(e.Products, ", "))
		}
	}
	if len(e.Settings) > 0 {
		keys := []string{"InstallDir", "RunAtStartup", "ShouldAutoUpdate", "AutoUpdate"}
		var kv []string
		for _, k := range keys {
			if v, ok := e.Settings[k]; ok {
				if v == "" {
					v = "(none)"
				}
				kv = append(kv, k+"="+v)
			}
		}
		p = append(p, strings.Join(kv, " "))
	}
	if e.Run != "" {
		p = append(p, "Run value: "+e.Run)
	}
	if e.Files != "" {
		p = append(p, "files: "+e.Files)
	}
	return strings.Join(p, "; ")
}

// ScenariosText renders the table for a terminal: one line per scenario.
func ScenariosText(d Defaults) string {
	var b strings.Builder
	for _, sc := range Scenarios(d) {
		fmt.Fprintf(&b, "%s [%s]\n  %s\n  want: %s\n", sc.ID, sc.Group, strings.ReplaceAll(mdSteps(sc), "`", ""), sc.Want)
	}
	return b.String()
}

// OnSystemDrive moves the scenarios' folders (CustomInstallDir on D:,
// OtherDir on E:) onto C:, the one drive every Windows runner and every
// Wine prefix has. The Wine tests and verify-kit both play the scenarios
// with it.
func OnSystemDrive(s string) string {
	return strings.NewReplacer(`D:\`, `C:\`, `E:\`, `C:\`).Replace(s)
}
