// Package plan expands a config into the build targets (kind × arch), in a
// stable order, with their output file names: the console MSIs, then the
// VSC driver packages (representative, then customer).
package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/vsc"
)

// Target is one artifact to build.
type Target struct {
	Kind string // packaging.Kind*
	Role string // VSC targets: config.RoleRepresentative or config.RoleCustomer
	Arch string
	File string // output file name, e.g. example-console-1.4.2-x64.msi
	Wxs  string // rendered source file name, e.g. example-console-1.4.2-x64.wxs
	// EXE and Nsi name the EXE wrapped around the MSI and its NSIS source;
	// empty when the config turns the EXE off.
	EXE, Nsi string
}

// ArchError is an --arch the config does not build: a command-line
// mistake (the CLI exits 2 with it).
type ArchError struct {
	Arch  string
	Known []string // the config's architectures
}

func (e *ArchError) Error() string {
	return fmt.Sprintf("--arch %s: not one of the config's architectures (%s)", e.Arch, strings.Join(e.Known, ", "))
}

// Targets returns the targets of c, restricted to only (if non-empty),
// whose entries must be among c's architectures (the top-level ones or the
// VSC packages').
func Targets(c *config.Config, only []string) ([]Target, error) {
	known := append([]string(nil), c.Architectures...)
	for _, a := range c.VSCArchitectures() {
		if !slices.Contains(known, a) {
			known = append(known, a)
		}
	}
	for _, a := range only {
		if !slices.Contains(known, a) {
			return nil, &ArchError{Arch: a, Known: known}
		}
	}
	pick := func(archs []string) []string {
		var out []string
		for _, a := range config.Architectures { // keep build order
			if slices.Contains(archs, a) && (len(only) == 0 || slices.Contains(only, a)) {
				out = append(out, a)
			}
		}
		return out
	}
	var ts []Target
	for _, a := range pick(c.Architectures) {
		stem := fmt.Sprintf("%s-%s-%s", c.Output.Name, c.Product.Version, a)
		t := Target{Kind: packaging.KindConsoleMSI, Arch: a, File: stem + ".msi", Wxs: stem + ".wxs"}
		if *c.Console.EXE {
			t.EXE, t.Nsi = stem+".exe", stem+".nsi"
		}
		ts = append(ts, t)
	}
	return append(ts, vscTargets(c, pick(c.VSCArchitectures()))...), nil
}

// vscTargets are the VSC packages: <name>-vsc-<role>-<version>-<arch>.msi.
func vscTargets(c *config.Config, archs []string) []Target {
	var ts []Target
	for _, p := range c.VSC.Packages() {
		kind := vsc.Kind(p.Role)
		for _, a := range archs {
			stem := fmt.Sprintf("%s-vsc-%s-%s-%s", c.Output.Name, p.Role, c.Product.Version, a)
			ts = append(ts, Target{Kind: kind, Role: p.Role, Arch: a, File: stem + ".msi", Wxs: stem + ".wxs"})
		}
	}
	return ts
}
