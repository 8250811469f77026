// Package doctor inspects the external tools msiforge relies on: whether
// each is installed, its version, and how to install it.
package doctor

import (
	"context"
	"regexp"
	"strings"

	"github.com/msiforge/msiforge/internal/execx"
)

// Tool is one external program and what doctor found out about it.
type Tool struct {
	Name     string `json:"name"`
	Found    bool   `json:"found"`
	Version  string `json:"version,omitempty"`
	Package  string `json:"package"`
	Required bool   `json:"required"` // build cannot work without it
	Purpose  string `json:"purpose"`
}

type probe struct {
	name, purpose string
	required      bool
	args          []string
}

// probes lists the tools in the order of the build pipeline.
var probes = []probe{
	{"wixl", "compile WiX sources into MSI", true, []string{"--version"}},
	{"msibuild", "post-build MSI fix-ups", true, nil}, // no version flag: reported with msiinfo's
	{"msiinfo", "read MSI tables back", true, []string{"--version"}},
	{"makensis", "wrap MSIs into EXEs", true, []string{"-VERSION"}},
	// go cross-compiles the VSC packages' custom-action helper
	// (internal/vschelper); only builds with a vsc section need it.
	{"go", "build the VSC packages' driver helper", false, []string{"version"}},
	{"osslsigncode", "verify signatures independently (tests)", false, []string{"--version"}},
	{"wine", "install MSIs in tests", false, []string{"--version"}},
}

var versionRE = regexp.MustCompile(`\d+\.\d+(\.\d+)?`)

// Check probes every tool. A tool that runs but prints no version is
// still reported found.
func Check(ctx context.Context, run execx.Runner) []Tool {
	var out []Tool
	for _, p := range probes {
		t := Tool{Name: p.name, Package: execx.Packages[p.name], Required: p.required, Purpose: p.purpose}
		if _, err := execx.LookPath(p.name); err == nil {
			t.Found = true
			if p.args != nil {
				res, _ := run.Run(ctx, execx.Cmd{Name: p.name, Args: p.args})
				first := strings.SplitN(strings.TrimSpace(string(res.Stdout)+"\n"+string(res.Stderr)), "\n", 2)[0]
				t.Version = versionRE.FindString(first)
			}
		}
		out = append(out, t)
	}
	// msibuild ships in msitools with msiinfo.
	for i := range out {
		if out[i].Name == "msibuild" && out[i].Found {
			for _, o := range out {
				if o.Name == "msiinfo" {
					out[i].Version = o.Version
				}
			}
		}
	}
	return out
}
