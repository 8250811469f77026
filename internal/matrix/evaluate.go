package matrix

import (
	"fmt"
	"strings"
)

// Install contexts: who runs msiexec.
const (
	ContextUser   = "user"   // an interactive user (elevated for ALLUSERS=1)
	ContextSystem = "system" // Local System, as deployment tools run
)

// Input is one way to run the console MSI.
type Input struct {
	AllUsers         string // "" or "1"
	ShouldAutoUpdate string // "0" or "1"
	RunAtStartup     string // "0" or "1"
	InstallDir       string // "" means the default
	Context          string // ContextUser or ContextSystem
}

// String renders the input as msiexec properties plus the context.
func (in Input) String() string {
	s := fmt.Sprintf(`ALLUSERS="%s" SHOULDAUTOUPDATE=%s RUNATSTARTUP=%s`, in.AllUsers, in.ShouldAutoUpdate, in.RunAtStartup)
	if in.InstallDir != "" {
		s += fmt.Sprintf(` "INSTALLDIR=%s"`, in.InstallDir)
	}
	return s + " as " + in.Context
}

// Outcome is what an install with an Input does.
type Outcome struct {
	Scope string `json:"scope"` // "per-user" or "per-machine"
	// InstallDirRoot is the folder property the default INSTALLDIR lies
	// under (LocalAppDataFolder, ProgramFilesFolder…); "" when INSTALLDIR
	// was given.
	InstallDirRoot string   `json:"install_dir_root,omitempty"`
	Hive           string   `json:"hive"`               // HKCU or HKLM: settings and the Run value
	RunValue       bool     `json:"run_value"`          // a Run value is written
	AutoUpdate     bool     `json:"auto_update"`        // the console updates itself
	NeedsAdmin     bool     `json:"needs_admin"`        // the install needs an elevated context
	Warnings       []string `json:"warnings,omitempty"` // for whoever chose this input
}

// Warning texts, shared by every consumer (the CLI, the download page).
const (
	WarnSystemPerUser = "a per-user install run as Local System installs into the system account's profile, not a user's: run a per-user deployment as the user (no MSI property can target another user)"
	WarnLoginOnce     = "each user must start the console and log in once before the support site is upgraded, and the MSI must be the site's current version; otherwise the console cannot update and shows error 1.1gws"
)

// Evaluate applies the rules to in. programFiles is the per-machine root
// folder property of the package's architecture (ProgramFilesFolder or
// ProgramFiles64Folder).
func Evaluate(in Input, programFiles string) (Outcome, error) {
	row, err := Decide(in.AllUsers, in.ShouldAutoUpdate)
	if err != nil {
		return Outcome{}, err
	}
	if in.RunAtStartup != "0" && in.RunAtStartup != "1" {
		return Outcome{}, fmt.Errorf("RUNATSTARTUP=%q is not supported (use 0 or 1)", in.RunAtStartup)
	}
	if in.Context != ContextUser && in.Context != ContextSystem {
		return Outcome{}, fmt.Errorf("install context %q is not one of %s, %s", in.Context, ContextUser, ContextSystem)
	}
	o := Outcome{Scope: row.Scope, RunValue: in.RunAtStartup == "1", AutoUpdate: row.AutoUpdate}
	if row.Scope == "per-user" {
		o.Hive, o.InstallDirRoot = "HKCU", "LocalAppDataFolder"
	} else {
		o.Hive, o.InstallDirRoot, o.NeedsAdmin = "HKLM", programFiles, true
	}
	if in.InstallDir != "" {
		o.InstallDirRoot = ""
	}
	if row.Warning != "" {
		o.Warnings = append(o.Warnings, row.Warning)
	}
	if row.Scope == "per-user" && in.Context == ContextSystem {
		o.Warnings = append(o.Warnings, WarnSystemPerUser)
	}
	if o.AutoUpdate {
		o.Warnings = append(o.Warnings, WarnLoginOnce)
	}
	o.Warnings = append(o.Warnings, OtherContextWarning(o.Scope)) // othercontext.go
	return o, nil
}

// Inputs lists every combination the checks cover, in a stable order.
func Inputs(customDir string) []Input {
	var out []Input
	for _, ctx := range []string{ContextUser, ContextSystem} {
		for _, r := range Rows {
			for _, run := range []string{"0", "1"} {
				for _, dir := range []string{"", customDir} {
					out = append(out, Input{AllUsers: r.AllUsers, ShouldAutoUpdate: r.ShouldAutoUpdate, RunAtStartup: run, InstallDir: dir, Context: ctx})
				}
			}
		}
	}
	return out
}

// Refused are inputs the package must refuse, with the property at fault.
var Refused = []struct {
	Property, Value string
}{
	{PropAllUsers, "3"}, {PropAllUsers, "yes"},
	{PropRunAtStartup, "2"}, {PropRunAtStartup, "true"},
	{PropShouldAutoUpdate, "2"}, {PropShouldAutoUpdate, "yes"},
}

// Table renders the rules for people: one line per matrix row.
func Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %-17s %-12s %-5s %-12s %s\n", "ALLUSERS", "SHOULDAUTOUPDATE", "SCOPE", "HIVE", "AUTO-UPDATE", "RESULT")
	for _, r := range Rows {
		o, _ := Evaluate(Input{AllUsers: r.AllUsers, ShouldAutoUpdate: r.ShouldAutoUpdate, RunAtStartup: "0", Context: ContextUser}, "ProgramFilesFolder")
		au := "no"
		if o.AutoUpdate {
			au = "yes"
		}
		fmt.Fprintf(&b, "%-10s %-17s %-12s %-5s %-12s %s\n", quoteEmpty(r.AllUsers), r.ShouldAutoUpdate, r.Scope, o.Hive, au, r.Result)
		if r.Warning != "" {
			fmt.Fprintf(&b, "%-10s %-17s warning: %s\n", "", "", r.Warning)
		}
	}
	b.WriteString("\nnotes:\n")
	for _, n := range []string{WarnSystemPerUser, WarnLoginOnce} {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	return b.String()
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
