// Package installcmd writes the Windows command line that installs a
// console MSI or EXE with the chosen properties, and the warnings of the
// update matrix for that choice.
package installcmd

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
)

// Request is what the administrator wants.
type Request struct {
	File             string // the .msi or .exe, as the command should name it
	AllUsers         bool
	ShouldAutoUpdate string // "", "0" or "1"; "" leaves the package default
	RunAtStartup     string // "", "0" or "1"
	InstallDir       string // "" leaves the default
	Quiet            bool   // /qn for msiexec, /S for the EXE
	Log              string // verbose log file; "" for none
	System           bool   // run by a deployment tool as Local System
	// Defaults are the package's own defaults, used to evaluate the rules
	// when a property is left out (read from the MSI; "0" when unknown).
	DefaultShouldAutoUpdate, DefaultRunAtStartup string
}

// Command is the result.
type Command struct {
	Line     string         `json:"command"`
	Outcome  matrix.Outcome `json:"outcome"`
	Warnings []string       `json:"warnings,omitempty"`
}

// Build writes the command for r.
func Build(r Request) (Command, error) {
	for name, v := range map[string]string{"--auto-update": r.ShouldAutoUpdate, "--run-at-startup": r.RunAtStartup} {
		if v != "" && v != "0" && v != "1" {
			return Command{}, fmt.Errorf("%s %q: want 0 or 1", name, v)
		}
	}
	if strings.ContainsAny(r.InstallDir, `"`) {
		return Command{}, fmt.Errorf("--install-dir %q: a Windows path cannot contain a double quote", r.InstallDir)
	}
	var props []string
	if r.InstallDir != "" {
		props = append(props, quote("INSTALLDIR="+r.InstallDir))
	}
	if r.RunAtStartup != "" {
		props = append(props, "RUNATSTARTUP="+r.RunAtStartup)
	}
	if r.ShouldAutoUpdate != "" {
		props = append(props, "SHOULDAUTOUPDATE="+r.ShouldAutoUpdate)
	}
	if r.AllUsers {
		props = append(props, "ALLUSERS=1")
	}
	var parts []string
	switch strings.ToLower(filepath.Ext(r.File)) {
	case ".msi":
		parts = []string{"msiexec", "/i", quote(r.File)}
		if r.Quiet {
			parts = append(parts, "/qn")
		}
		if r.Log != "" {
			parts = append(parts, "/l*v", quote(r.Log))
		}
	case ".exe":
		parts = []string{quote(r.File)}
		if r.Quiet {
			parts = append(parts, "/S")
		}
		if r.Log != "" {
			parts = append(parts, quote("/L="+r.Log))
		}
	default:
		return Command{}, fmt.Errorf("%s: want an .msi or .exe file", r.File)
	}
	parts = append(parts, props...)

	in := matrix.Input{AllUsers: "", ShouldAutoUpdate: or(r.ShouldAutoUpdate, r.DefaultShouldAutoUpdate), RunAtStartup: or(r.RunAtStartup, r.DefaultRunAtStartup), InstallDir: r.InstallDir, Context: matrix.ContextUser}
	if r.AllUsers {
		in.AllUsers = "1"
	}
	if r.System {
		in.Context = matrix.ContextSystem
	}
	o, err := matrix.Evaluate(in, "ProgramFilesFolder")
	if err != nil {
		return Command{}, err
	}
	c := Command{Line: strings.Join(parts, " "), Outcome: o, Warnings: o.Warnings}
	if r.AllUsers {
		c.Warnings = append(c.Warnings, "ALLUSERS=1 needs an elevated context: run it from an elevated prompt or a deployment tool running as Local System")
	}
	if strings.EqualFold(filepath.Ext(r.File), ".exe") {
		c.Warnings = append(c.Warnings, "for mass deployment the MSI is the recommended form")
	}
	return c, nil
}

// quote wraps an argument for cmd.exe/msiexec when it holds a space.
func quote(s string) string {
	if strings.ContainsAny(s, " \t&()^|<>") {
		return `"` + s + `"`
	}
	return s
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "0"
}
