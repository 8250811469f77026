// Package check proves a built console MSI implements the install-scope ×
// auto-update rules and the lifecycle rules: for every combination of
// property values and install context it simulates a first install from
// the MSI's own tables (internal/simulate) and compares the outcome with
// internal/matrix; then it plays the scenarios of matrix.Scenarios
// (omitted properties, re-runs, settings changes, repair, uninstall, both
// contexts, and the upgrade from a previous release) on a simulated
// machine. A package that lacks what the checks read fails by name.
package check

import (
	"errors"
	"fmt"
	"path/filepath"
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
		line := Line{Input: "first install " + in.String(), Warnings: want.Warnings}
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
		line := Line{Input: fmt.Sprintf("first install %s=%q (not allowed)", bad.Property, bad.Value), OK: res.Refused}
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
	fmt.Fprintf(&b, "%d checks, %d failed\n", len(r.Lines), r.Failed())
	return b.String()
}

// ErrMismatch is returned (wrapped) by Build when the MSI breaks the rules.
var ErrMismatch = errors.New("the MSI does not implement the update matrix and lifecycle rules")

// Options are what a check needs besides the MSI.
type Options struct {
	// Defaults are the configured defaults an omitted property must take.
	Defaults matrix.Defaults
	// UpgradeFrom is the previous release's MSI: the upgrade scenarios
	// run from it to the checked one. "" skips them.
	UpgradeFrom string
}

// OpenPackage reads an MSI as a simulator package; the caller closes
// the file.
func OpenPackage(path string) (*msi.File, *simulate.Package, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, nil, err
	}
	sum, err := f.Summary()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	p, err := simulate.NewPackage(filepath.Base(path), f, sum.PackageCode, sum.Template)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, p, nil
}

// File checks the console MSI at path: what it lacks, the table rules,
// the first-install combinations and the lifecycle scenarios.
func File(path string, opts Options) (*Report, error) {
	f, p, err := OpenPackage(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	missing, err := Requirements(f)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return &Report{Lines: []Line{{Input: "what the checks need",
			Problems: []string{"the MSI lacks " + strings.Join(missing, ", ") + "; it is not a console package msiforge can check"}}}}, nil
	}
	rules, err := Rules(f)
	if err != nil {
		return nil, err
	}
	rep, err := Console(f, p.Template)
	if err != nil {
		return nil, err
	}
	rep.Lines = append(rules, rep.Lines...)
	var old *simulate.Package
	if opts.UpgradeFrom != "" {
		of, op, err := OpenPackage(opts.UpgradeFrom)
		if err != nil {
			return nil, fmt.Errorf("--upgrade-from: %w", err)
		}
		defer of.Close()
		if missing, err := Requirements(of); err != nil {
			return nil, err
		} else if len(missing) > 0 {
			return nil, fmt.Errorf("--upgrade-from %s lacks %s", opts.UpgradeFrom, strings.Join(missing, ", "))
		}
		old = op
	}
	lc, err := Lifecycle(p, old, opts.Defaults)
	if err != nil {
		return nil, err
	}
	rep.Lines = append(rep.Lines, lc...)
	return rep, nil
}

// Build is the check build runs on every console MSI, with the config's
// defaults: an error listing the failing checks, or nil.
func Build(path string, d matrix.Defaults) error {
	rep, err := File(path, Options{Defaults: d})
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
		return fmt.Errorf("matrix check: %d of %d checks fail: %w:\n%s", n, len(rep.Lines), ErrMismatch, strings.Join(lines, "\n"))
	}
	return nil
}
