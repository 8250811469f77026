// Package doctor inspects the external tools msiforge relies on: whether
// each is installed, its version, and how to install it.
package doctor

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/msiforge/msiforge/internal/execx"
)

// Tool is one external program and what doctor found out about it.
type Tool struct {
	Name    string `json:"name"`
	Found   bool   `json:"found"`
	Version string `json:"version,omitempty"`
	Package string `json:"package"`
	// Install says where to get a tool no suitable Debian package ships
	// (Package is then "").
	Install  string `json:"install,omitempty"`
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
	// build reads the tables back in Go (internal/msi); msiinfo is only
	// the independent reader tests and make bench compare against.
	{"msiinfo", "compare table read-back (tests, bench)", false, []string{"--version"}},
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
		out = append(out, check(ctx, run, p))
	}
	return out
}

func check(ctx context.Context, run execx.Runner, p probe) Tool {
	t := Tool{Name: p.name, Package: execx.Packages[p.name], Install: execx.Elsewhere[p.name], Required: p.required, Purpose: p.purpose}
	if _, err := execx.LookPath(p.name); err != nil {
		return t
	}
	t.Found = true
	args := p.args
	if p.name == "msibuild" {
		// msibuild has no version flag; it ships in msitools with
		// msiinfo, whose version is msitools'.
		if _, err := execx.LookPath("msiinfo"); err != nil {
			return t
		}
		p.name, args = "msiinfo", []string{"--version"}
	}
	if args != nil {
		res, _ := run.Run(ctx, execx.Cmd{Name: p.name, Args: args})
		first := strings.SplitN(strings.TrimSpace(string(res.Stdout)+"\n"+string(res.Stderr)), "\n", 2)[0]
		t.Version = versionRE.FindString(first)
	}
	return t
}

// Versions returns the versions of the named tools only (the tools a
// build ran, for its manifest), leaving out those that print none. The
// tools are asked side by side: on a no-op rebuild, starting them one
// after another is a good part of the time.
func Versions(ctx context.Context, run execx.Runner, names []string) map[string]string {
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range names {
		for _, p := range probes {
			if p.name != n {
				continue
			}
			wg.Go(func() {
				if t := check(ctx, run, p); t.Version != "" {
					mu.Lock()
					out[n] = t.Version
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return out
}
