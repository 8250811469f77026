// Package matrix holds the install-scope × auto-update rules of the support
// console: what ALLUSERS and SHOULDAUTOUPDATE do together. It is the one
// source of truth; the WiX conditions, the README table and the checks all
// derive from it.
package matrix

import (
	"fmt"
	"strings"
)

// The console MSI's public properties.
const (
	PropInstallDir       = "INSTALLDIR"
	PropRunAtStartup     = "RUNATSTARTUP"
	PropAllUsers         = "ALLUSERS"
	PropShouldAutoUpdate = "SHOULDAUTOUPDATE"
)

// Private properties: AppSearch reads the remembered values of each install
// context into its own set (names with lower case are private, so no
// command line can set them), and type-51 actions copy the set of the
// running context into the public properties the command line omitted.
// RegLocator has no HKMU root, hence one search per hive:
// https://learn.microsoft.com/windows/win32/msi/reglocator-table
const (
	PropUserInstallDir          = "UserInstallDir"
	PropUserRunAtStartup        = "UserRunAtStartup"
	PropUserShouldAutoUpdate    = "UserShouldAutoUpdate"
	PropMachineInstallDir       = "MachineInstallDir"
	PropMachineRunAtStartup     = "MachineRunAtStartup"
	PropMachineShouldAutoUpdate = "MachineShouldAutoUpdate"
	// PropMachineInstallDirOtherView is InstallDir from the other
	// registry view of HKLM: the 32-bit view for a 64-bit package, the
	// 64-bit view for an x86 one. A per-machine install of the other
	// architecture keeps its settings there (HKLM\Software is redirected
	// for 32-bit components), and FindRelatedProducts does not see it from
	// a per-user run. Only the refusal below reads it.
	// https://learn.microsoft.com/windows/win32/winprog64/registry-redirector
	PropMachineInstallDirOtherView = "MachineInstallDirOtherView"
	// The other view's RunAtStartup and ShouldAutoUpdate. A per-machine
	// run copies the other view's three values when its own view has no
	// install (no MachineInstallDir): a major upgrade from the other
	// architecture keeps the settings it replaces. The x64 package reads
	// the 32-bit view by leaving msidbLocatorType64bit out of the
	// RegLocator Type, as that table documents. The x86 package reads the
	// 64-bit view with the bit set: the RegLocator page says the bit makes
	// the installer search the 64-bit portion, but ICE80 reports the bit in
	// a 32-bit package as an error and no page says what Windows then does
	// at run time. If Windows ignores it, the x86 package reads its own
	// view twice and nothing is copied (the defaults apply, as before).
	// https://learn.microsoft.com/windows/win32/msi/reglocator-table
	// https://learn.microsoft.com/windows/win32/msi/ice80
	PropMachineRunAtStartupOtherView     = "MachineRunAtStartupOtherView"
	PropMachineShouldAutoUpdateOtherView = "MachineShouldAutoUpdateOtherView"
	// PropSameVersion is set by FindRelatedProducts from an OnlyDetect
	// Upgrade row that matches exactly this version: another package of
	// the same version (the other architecture, another build) is
	// installed. Public and secure, as the Upgrade table requires:
	// https://learn.microsoft.com/windows/win32/msi/upgrade-table
	PropSameVersion = "SAMEVERSIONDETECTED"
)

// SecureProperties are the public properties a per-machine install must
// receive from the client (SecureCustomProperties), sorted.
var SecureProperties = []string{PropInstallDir, PropRunAtStartup, PropSameVersion, PropShouldAutoUpdate}

// Windows Installer conditions that implement the rules. The WiX templates
// use these; they are written in the condition language of the MSI tables:
// https://learn.microsoft.com/windows/win32/msi/conditional-statement-syntax
const (
	// CondPerUser is true for a per-user install (ALLUSERS is empty).
	CondPerUser = `NOT ALLUSERS`
	// CondPerMachine is true for a per-machine install. ALLUSERS=2 is
	// refused by CondValidAllUsers, so "1" is the only other value.
	CondPerMachine = `ALLUSERS="1"`
	// CondUserValues is when a run uses the per-user remembered values
	// (and the per-user update rule), CondMachineValues when it uses the
	// per-machine ones. A first install follows ALLUSERS. A maintenance
	// run (Installed) works on the registered product, which Windows
	// Installer looks for among the account's per-user products first,
	// then the per-machine ones
	// (https://learn.microsoft.com/windows/win32/msi/disableuserinstalls):
	// the per-user values when this account has a per-user install (its
	// remembered UserInstallDir), the per-machine ones otherwise, whatever
	// ALLUSERS says. No Microsoft page says that a maintenance run of a
	// per-machine product sets ALLUSERS=1 when its command line does not
	// (Add/Remove Programs' Repair, msiexec /f, a self-repair): "Installation
	// Context" says only that Windows Installer resets ALLUSERS to 1 when it
	// installs in the per-machine context, and Wine keeps the command
	// line's ALLUSERS. With these conditions such a run cannot replace a
	// per-machine install's settings and Run value with the defaults.
	// https://learn.microsoft.com/windows/win32/msi/installation-context
	// https://learn.microsoft.com/windows/win32/msi/installed
	CondUserValues    = `((NOT Installed AND NOT ALLUSERS) OR (Installed AND UserInstallDir))`
	CondMachineValues = `((NOT Installed AND ALLUSERS="1") OR (Installed AND NOT UserInstallDir))`
	// CondAutoUpdate is when the console auto-updates: requested, and
	// per-user. An all-users install never auto-updates.
	CondAutoUpdate = `SHOULDAUTOUPDATE="1" AND ` + CondUserValues
	// CondRunAtStartup is the Run value component's condition. REMOVE~="ALL"
	// keeps the component selectable at uninstall so it is removed (Wine
	// does not remove a component whose condition is false then). The
	// component is transitive (RunComponentAttributes), so a reinstall
	// re-evaluates this condition:
	// https://learn.microsoft.com/windows/win32/msi/using-transitive-components
	CondRunAtStartup = `RUNATSTARTUP="1" OR REMOVE~="ALL"`

	// The launch conditions. LaunchConditions runs on every run, an
	// uninstall included, and a false condition ends the run before
	// anything changes (https://learn.microsoft.com/windows/win32/msi/launchconditions-action,
	// https://learn.microsoft.com/windows/win32/msi/launchcondition-table).
	// REMOVE~="ALL" lets an uninstall proceed whatever is remembered;
	// everything else (first install, re-run, settings change, repair,
	// upgrade) is checked.

	// Values outside the documented ones are refused.
	CondValidAllUsers         = `REMOVE~="ALL" OR NOT ALLUSERS OR ALLUSERS="1"`
	CondValidRunAtStartup     = `REMOVE~="ALL" OR RUNATSTARTUP="0" OR RUNATSTARTUP="1"`
	CondValidShouldAutoUpdate = `REMOVE~="ALL" OR SHOULDAUTOUPDATE="0" OR SHOULDAUTOUPDATE="1"`
	// The other context: Windows Installer never upgrades or maintains a
	// product across install contexts (FindRelatedProducts and the
	// product's registration are per context), so a second copy would
	// appear beside the first, with its own Run value and shortcut.
	// https://learn.microsoft.com/windows/win32/msi/installation-context
	// https://learn.microsoft.com/windows/win32/msi/findrelatedproducts-action
	// A per-user run is refused while a per-machine install exists...
	// A maintenance run (Installed) is never refused: it works on the
	// product in the context it is registered in, so it cannot add a
	// second copy, and a repair or self-repair of a per-machine product
	// need not carry ALLUSERS=1 (see CondMachineValues).
	CondNoMachineInstall = `Installed OR REMOVE~="ALL" OR ALLUSERS="1" OR (NOT MachineInstallDir AND NOT MachineInstallDirOtherView)`
	// ...and a per-machine run while the installing account has a
	// per-user install.
	CondNoUserInstall = `Installed OR REMOVE~="ALL" OR NOT ALLUSERS OR NOT UserInstallDir`
	// An installed product is not moved: a maintenance run (Installed)
	// with another INSTALLDIR than the context's remembered one is
	// refused. Windows Installer reinstalls components where they are
	// installed; it does not relocate them
	// (https://learn.microsoft.com/windows/win32/msi/installed,
	// https://learn.microsoft.com/windows/win32/msi/reinstall).
	// ~= compares without regard to case; the INSTALLDIR given on the
	// command line has had its trailing backslash added by then
	// (CondAddInstallDirSlash), as the remembered value has one.
	// The context's remembered folder is the one CondUserValues and
	// CondMachineValues select.
	CondSameInstallDir = `NOT Installed OR REMOVE~="ALL" OR (` + CondUserValues + ` AND (NOT UserInstallDir OR INSTALLDIR~=UserInstallDir)) OR (` + CondMachineValues + ` AND (NOT MachineInstallDir OR INSTALLDIR~=MachineInstallDir))`
	// CondAddInstallDirSlash is when the InstallDirSlash action appends the
	// backslash a directory path ends with (CostFinalize would add it
	// anyway, after the launch conditions).
	CondAddInstallDirSlash = `INSTALLDIR AND NOT INSTALLDIR~>>"\"`
	// One product per machine and context across architectures: another
	// package of this version (x86 beside x64) is refused. FindRelatedProducts
	// does not run on a maintenance run, hence Installed.
	CondNoSameVersion = `Installed OR REMOVE~="ALL" OR NOT SAMEVERSIONDETECTED`
)

// Messages of the launch conditions above: what was wrong and what to do.
const (
	MsgAllUsers         = `ALLUSERS="[ALLUSERS]" is not supported: leave it empty for a per-user install or set ALLUSERS=1 for a per-machine install.`
	MsgRunAtStartup     = `RUNATSTARTUP="[RUNATSTARTUP]" is not supported: use RUNATSTARTUP=0 or RUNATSTARTUP=1.`
	MsgShouldAutoUpdate = `SHOULDAUTOUPDATE="[SHOULDAUTOUPDATE]" is not supported: use SHOULDAUTOUPDATE=0 or SHOULDAUTOUPDATE=1.`
	MsgMachineInstalled = `[ProductName] is already installed for all users (per-machine) in [MachineInstallDir][MachineInstallDirOtherView]. To update or change that installation, run this package with ALLUSERS=1; to install per-user instead, uninstall the per-machine installation first.`
	MsgUserInstalled    = `[ProductName] is already installed for this user (per-user) in [UserInstallDir]. To update or change that installation, run this package without ALLUSERS; to install per-machine instead, uninstall the per-user installation first (as this user).`
	MsgInstallDirChange = `[ProductName] is installed in [UserInstallDir][MachineInstallDir] and cannot be moved to INSTALLDIR="[INSTALLDIR]": uninstall it, then install it again with the new INSTALLDIR.`
	MsgSameVersion      = `[ProductName] [ProductVersion] is already installed from another package (product code [SAMEVERSIONDETECTED]), for example for another architecture. Uninstall it first (msiexec /x [SAMEVERSIONDETECTED]), then install this package.`
)

// LaunchCondition is one row of the console's LaunchCondition table.
type LaunchCondition struct {
	Condition string `json:"condition"`
	Message   string `json:"message"`
}

// LaunchConditions are the console MSI's own launch conditions (wixl's
// MajorUpgrade adds the downgrade refusal), in the order the template
// writes them.
var LaunchConditions = []LaunchCondition{
	{CondValidAllUsers, MsgAllUsers},
	{CondValidRunAtStartup, MsgRunAtStartup},
	{CondValidShouldAutoUpdate, MsgShouldAutoUpdate},
	{CondNoMachineInstall, MsgMachineInstalled},
	{CondNoUserInstall, MsgUserInstalled},
	{CondSameInstallDir, MsgInstallDirChange},
	{CondNoSameVersion, MsgSameVersion},
}

// RunComponentAttributes are the Component.Attributes bits the Run value's
// component carries besides wixl's (registry key path, 64-bit):
// msidbComponentAttributesTransitive, so that a reinstall re-evaluates its
// condition and removes the Run value when RUNATSTARTUP becomes 0.
// https://learn.microsoft.com/windows/win32/msi/using-transitive-components
const RunComponentAttributes = 0x40

// ChangeArgs are the msiexec arguments, after `/i <package>`, of a
// settings change on an installed console: a reinstall of every feature
// (https://learn.microsoft.com/windows/win32/msi/reinstall) that rewrites
// the registry values (REINSTALLMODE m and u) and the shortcuts (s) and
// replaces only missing or older files (o)
// (https://learn.microsoft.com/windows/win32/msi/reinstallmode). The new
// RUNATSTARTUP and SHOULDAUTOUPDATE follow, and ALLUSERS=1 for a
// per-machine installation. The Run value's component is transitive, so
// RUNATSTARTUP=0 removes the Run value and RUNATSTARTUP=1 adds it.
var ChangeArgs = []string{"REINSTALL=ALL", "REINSTALLMODE=omus"}

// ChangeCommand is the settings-change command as the README shows it.
const ChangeCommand = `msiexec /i <package.msi> REINSTALL=ALL REINSTALLMODE=omus [ALLUSERS=1] RUNATSTARTUP=<0|1> SHOULDAUTOUPDATE=<0|1>`

// Row is one line of the update matrix.
type Row struct {
	AllUsers         string `json:"allusers"`          // "" or "1"
	ShouldAutoUpdate string `json:"shouldautoupdate"`  // "0" or "1"
	Scope            string `json:"scope"`             // "per-user" or "per-machine"
	AutoUpdate       bool   `json:"auto_update"`       // the effective behaviour
	Result           string `json:"result"`            // what the install does, in the product's words
	Warning          string `json:"warning,omitempty"` // shown to whoever chooses this combination
}

// Rows is the update matrix, in the order the product documentation gives.
var Rows = []Row{
	{AllUsers: "", ShouldAutoUpdate: "0", Scope: "per-user", AutoUpdate: false,
		Result: "per-user install; no auto-update; reinstall after each site upgrade"},
	{AllUsers: "", ShouldAutoUpdate: "1", Scope: "per-user", AutoUpdate: true,
		Result: "per-user install; auto-updates with no credentials beyond the product login and the active Windows user; no admin credentials needed"},
	{AllUsers: "1", ShouldAutoUpdate: "0", Scope: "per-machine", AutoUpdate: false,
		Result: "per-machine install; no auto-update"},
	{AllUsers: "1", ShouldAutoUpdate: "1", Scope: "per-machine", AutoUpdate: false,
		Result:  "per-machine install; does NOT auto-update (the flag is ignored)",
		Warning: "SHOULDAUTOUPDATE=1 is ignored for an all-users (ALLUSERS=1) install: the console will not update itself"},
}

// Decide returns the matrix row for the given property values.
func Decide(allUsers, shouldAutoUpdate string) (Row, error) {
	for _, r := range Rows {
		if r.AllUsers == allUsers && r.ShouldAutoUpdate == shouldAutoUpdate {
			return r, nil
		}
	}
	return Row{}, fmt.Errorf("ALLUSERS=%q SHOULDAUTOUPDATE=%q is not a supported combination (ALLUSERS is \"\" or 1, SHOULDAUTOUPDATE is 0 or 1)", allUsers, shouldAutoUpdate)
}

// Property documents one public property of the console MSI.
type Property struct {
	Name    string `json:"name"`
	Values  string `json:"values"`
	Default string `json:"default"`
	Meaning string `json:"meaning"`
}

// Properties are the console MSI's public properties, as the README and
// the deployment helpers describe them.
var Properties = []Property{
	{PropInstallDir, "any valid absolute directory (drive or UNC path)", "per-user: `[LocalAppDataFolder]<Manufacturer>\\<Product>`; per-machine: `[ProgramFiles(64)Folder]<Manufacturer>\\<Product>`", "where the console is installed; remembered for repair, upgrade and uninstall"},
	{PropRunAtStartup, "`0`, `1`", "`0` (configurable)", "`1`: a Run value starts the console at each logon, in the install's hive (HKCU per-user, HKLM per-machine)"},
	{PropAllUsers, "`\"\"`, `1`", "`\"\"`", "`\"\"`: installs for the user running msiexec; `1`: per-machine install for all users (needs an elevated context)"},
	{PropShouldAutoUpdate, "`0`, `1`", "`0` (configurable)", "`1`: a per-user console updates itself when the support site is upgraded; ignored for ALLUSERS=1"},
	{"QUIET", "—", "—", "msiexec's quiet switch (`/quiet`, `/qn`): no window, spinner, error or alert"},
}

// show writes a property value for a table: "" for empty.
func show(v string) string {
	if v == "" {
		return "`\"\"`"
	}
	return "`" + v + "`"
}

// Markdown renders the update matrix as the README's table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| ALLUSERS | SHOULDAUTOUPDATE | scope | auto-update | result |\n|---|---|---|---|---|\n")
	for _, r := range Rows {
		res := r.Result
		if r.Warning != "" {
			res += " **Warning:** " + r.Warning + "."
		}
		au := "no"
		if r.AutoUpdate {
			au = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", show(r.AllUsers), show(r.ShouldAutoUpdate), r.Scope, au, res)
	}
	return b.String()
}

// PropertiesMarkdown renders the public properties as the README's table.
func PropertiesMarkdown() string {
	var b strings.Builder
	b.WriteString("| property | values | default | meaning |\n|---|---|---|---|\n")
	for _, p := range Properties {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, p.Values, p.Default, p.Meaning)
	}
	return b.String()
}
