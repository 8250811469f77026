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

// SecureProperties are the public properties a per-machine install must
// receive from the client (SecureCustomProperties), sorted.
var SecureProperties = []string{PropInstallDir, PropRunAtStartup, PropShouldAutoUpdate}

// Windows Installer conditions that implement the rules. The WiX templates
// use these; they are written in the condition language of the MSI tables.
const (
	// CondPerUser is true for a per-user install (ALLUSERS is empty).
	CondPerUser = `NOT ALLUSERS`
	// CondAutoUpdate is when the console auto-updates: requested, and
	// per-user. An all-users install never auto-updates.
	CondAutoUpdate = `SHOULDAUTOUPDATE="1" AND NOT ALLUSERS`
	// CondRunAtStartup is the Run value component's condition. REMOVE~="ALL"
	// keeps the component selectable at uninstall so it is removed (Wine
	// does not remove a component whose condition is false then).
	CondRunAtStartup = `RUNATSTARTUP="1" OR REMOVE~="ALL"`
	// The launch conditions refusing values outside the documented ones.
	// Installed lets an uninstall or repair proceed whatever is remembered.
	CondValidAllUsers         = `Installed OR NOT ALLUSERS OR ALLUSERS="1"`
	CondValidRunAtStartup     = `Installed OR RUNATSTARTUP="0" OR RUNATSTARTUP="1"`
	CondValidShouldAutoUpdate = `Installed OR SHOULDAUTOUPDATE="0" OR SHOULDAUTOUPDATE="1"`
)

// Messages of the launch conditions above: what was wrong and what is allowed.
const (
	MsgAllUsers         = `ALLUSERS="[ALLUSERS]" is not supported: leave it empty for a per-user install or set ALLUSERS=1 for a per-machine install.`
	MsgRunAtStartup     = `RUNATSTARTUP="[RUNATSTARTUP]" is not supported: use RUNATSTARTUP=0 or RUNATSTARTUP=1.`
	MsgShouldAutoUpdate = `SHOULDAUTOUPDATE="[SHOULDAUTOUPDATE]" is not supported: use SHOULDAUTOUPDATE=0 or SHOULDAUTOUPDATE=1.`
)

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
