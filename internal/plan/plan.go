// Package plan expands a config into the build targets (kind × arch), in a
// stable order, with their output file names.
package plan

import (
	"fmt"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/packaging"
)

// Target is one artifact to build.
type Target struct {
	Kind string // packaging.Kind*
	Arch string
	File string // output file name, e.g. example-console-1.4.2-x64.msi
	Wxs  string // rendered source file name, e.g. example-console-1.4.2-x64.wxs
	// EXE and Nsi name the EXE wrapped around the MSI and its NSIS source;
	// empty when the config turns the EXE off.
	EXE, Nsi string
}

// Targets returns the targets of c, restricted to only (if non-empty),
// whose entries must be among c's architectures.
func Targets(c *config.Config, only []string) ([]Target, error) {
	archs := c.Architectures
	if len(only) > 0 {
		in := map[string]bool{}
		for _, a := range c.Architectures {
			in[a] = true
		}
		for _, a := range only {
			if !in[a] {
				return nil, fmt.Errorf("--arch %s: not one of the config's architectures (%s)", a, strings.Join(c.Architectures, ", "))
			}
		}
		archs = nil
		for _, a := range config.Architectures { // keep build order
			for _, o := range only {
				if a == o {
					archs = append(archs, a)
					break
				}
			}
		}
	}
	var ts []Target
	for _, a := range config.Architectures {
		for _, b := range archs {
			if a != b {
				continue
			}
			stem := fmt.Sprintf("%s-%s-%s", c.Output.Name, c.Product.Version, a)
			t := Target{Kind: packaging.KindConsoleMSI, Arch: a, File: stem + ".msi", Wxs: stem + ".wxs"}
			if *c.Console.EXE {
				t.EXE, t.Nsi = stem+".exe", stem+".nsi"
			}
			ts = append(ts, t)
		}
	}
	return ts, nil
}
