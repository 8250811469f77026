// Package check proves a built console MSI implements the install-scope ×
// auto-update rules: for every combination of property values and install
// context it simulates a first install from the MSI's own tables
// (internal/simulate) and compares the outcome with internal/matrix.
package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/simulate"
)

// CustomDir is the INSTALLDIR the checks pass when they give one.
const CustomDir = `D:\Apps\Support Console\`

// Line is the verdict on one combination.
type Line struct {
	Input    string   `json:"input"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Report is the verdict on a whole MSI.
type Report struct {
	Lines []Line `json:"lines"`
}

// Failed counts the combinations with problems.
func (r *Report) Failed() int {
	n := 0
	for _, l := range r.Lines {
		if !l.OK {
			n++
		}
	}
	return n
}

// Console checks an MSI's tables. template is its summary Template
// ("Intel;1033", "x64;1033", "Arm64;1033"): it decides which Program Files
// folder a per-machine install defaults to.
func Console(t simulate.Tables, template string) (*Report, error) {
	programFiles := "ProgramFiles64Folder"
	if strings.HasPrefix(template, "Intel") {
		programFiles = "ProgramFilesFolder"
	}
	rep := &Report{}
	for _, in := range matrix.Inputs(CustomDir) {
		want, err := matrix.Evaluate(in, programFiles)
		if err != nil {
			return nil, err
		}
		cmd := map[string]string{
			matrix.PropAllUsers: in.AllUsers, matrix.PropShouldAutoUpdate: in.ShouldAutoUpdate, matrix.PropRunAtStartup: in.RunAtStartup,
		}
		if in.InstallDir != "" {
			cmd[matrix.PropInstallDir] = in.InstallDir
		}
		res, err := simulate.Install(t, cmd, simulate.Context{System: in.Context == matrix.ContextSystem})
		if err != nil {
			return nil, fmt.Errorf("simulate %s: %w", in, err)
		}
		line := Line{Input: in.String(), Warnings: want.Warnings}
		line.Problems = compare(res, in, want)
		line.OK = len(line.Problems) == 0
		rep.Lines = append(rep.Lines, line)
	}
	for _, bad := range matrix.Refused {
		cmd := map[string]string{bad.Property: bad.Value}
		res, err := simulate.Install(t, cmd, simulate.Context{})
		if err != nil {
			return nil, fmt.Errorf("simulate %s=%s: %w", bad.Property, bad.Value, err)
		}
		line := Line{Input: fmt.Sprintf("%s=%q (not allowed)", bad.Property, bad.Value), OK: res.Refused}
		if !res.Refused {
			line.Problems = []string{"the install proceeds; want it refused by a launch condition"}
		} else if !strings.Contains(res.Message, bad.Property) {
			line.OK = false
			line.Problems = []string{fmt.Sprintf("refused with %q, which does not name %s", res.Message, bad.Property)}
		}
		rep.Lines = append(rep.Lines, line)
	}
	return rep, nil
}

// compare lists how a simulated install differs from the rules.
func compare(res *simulate.Result, in matrix.Input, want matrix.Outcome) []string {
	var p []string
	if res.Refused {
		return []string{"refused: " + res.Message}
	}
	// The settings value AutoUpdate records the effective behaviour.
	var auto []simulate.RegValue
	var run []simulate.RegValue
	for _, r := range res.Registry {
		switch {
		case r.Name == "AutoUpdate":
			auto = append(auto, r)
		case strings.EqualFold(r.Key, `Software\Microsoft\Windows\CurrentVersion\Run`):
			run = append(run, r)
		}
		if r.Hive != want.Hive {
			p = append(p, fmt.Sprintf("writes %s\\%s %s to %s, want %s (%s)", r.Hive, r.Key, r.Name, r.Hive, want.Hive, want.Scope))
		}
	}
	wantAU := map[bool]string{true: "1", false: "0"}[want.AutoUpdate]
	switch {
	case len(auto) != 1:
		p = append(p, fmt.Sprintf("writes %d AutoUpdate settings values, want 1", len(auto)))
	case auto[0].Value != wantAU:
		p = append(p, fmt.Sprintf("effective auto-update %s, want %s", auto[0].Value, wantAU))
	}
	if got := len(run) > 0; got != want.RunValue {
		p = append(p, fmt.Sprintf("Run value written: %v, want %v", got, want.RunValue))
	}
	dir := res.Dirs[matrix.PropInstallDir]
	switch {
	case in.InstallDir != "" && dir != in.InstallDir:
		p = append(p, fmt.Sprintf("INSTALLDIR resolves to %q, want the given %q", dir, in.InstallDir))
	case in.InstallDir == "":
		root := res.Properties[want.InstallDirRoot]
		if root == "" || !strings.HasPrefix(dir, root) {
			p = append(p, fmt.Sprintf("default INSTALLDIR %q is not under %s (%s)", dir, want.InstallDirRoot, root))
		}
	}
	return p
}

// Text renders the report one line per combination.
func (r *Report) Text() string {
	var b strings.Builder
	for _, l := range r.Lines {
		if l.OK {
			fmt.Fprintf(&b, "ok    %s\n", l.Input)
		} else {
			fmt.Fprintf(&b, "FAIL  %s: %s\n", l.Input, strings.Join(l.Problems, "; "))
		}
	}
	fmt.Fprintf(&b, "%d combinations, %d failed\n", len(r.Lines), r.Failed())
	return b.String()
}

// ErrMismatch is returned (wrapped) by File when the MSI breaks the rules.
var ErrMismatch = errors.New("the MSI does not implement the update matrix")

// File checks the console MSI at path, reading it with internal/msi.
func File(path string) (*Report, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum, err := f.Summary()
	if err != nil {
		return nil, err
	}
	return Console(f, sum.Template)
}

// Build is the check build runs on every console MSI: an error listing
// the failing combinations, or nil.
func Build(path string) error {
	rep, err := File(path)
	if err != nil {
		return fmt.Errorf("matrix check: %w", err)
	}
	if n := rep.Failed(); n > 0 {
		var lines []string
		for _, l := range rep.Lines {
			if !l.OK {
				lines = append(lines, "  "+l.Input+": "+strings.Join(l.Problems, "; "))
			}
		}
		return fmt.Errorf("matrix check: %d of %d combinations fail: %w:\n%s", n, len(rep.Lines), ErrMismatch, strings.Join(lines, "\n"))
	}
	return nil
}
