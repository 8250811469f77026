package config

import (
	"fmt"
	"strings"

	"github.com/msiforge/msiforge/internal/lint"
)

// Lint configures the lint build runs on every MSI before signing.
type Lint struct {
	// Ignore lists the rules this release accepts, each with the reason
	// that goes into the manifest.
	Ignore []LintIgnore `yaml:"ignore"`
}

// LintIgnore is one accepted rule.
type LintIgnore struct {
	Rule   string `yaml:"rule"`   // ICE38, MSF001 (msiforge lint --list)
	Reason string `yaml:"reason"` // why the finding is accepted; required
}

// IgnoredRules returns the rule IDs of lint.ignore.
func (l Lint) IgnoredRules() []string {
	var out []string
	for _, i := range l.Ignore {
		out = append(out, strings.ToUpper(i.Rule))
	}
	return out
}

func (c *Config) validateLint(v *validator) {
	seen := map[string]bool{}
	for i, ig := range c.Lint.Ignore {
		path := fmt.Sprintf("lint.ignore[%d]", i)
		r, ok := lint.Lookup(ig.Rule)
		switch {
		case ig.Rule == "":
			v.addf(path+".rule", "is required (a rule of msiforge lint --list, e.g. ICE38)")
		case !ok:
			v.addf(path+".rule", "%q is not a lint rule (msiforge lint --list shows them)", ig.Rule)
		case seen[r.ID]:
			v.addf(path+".rule", "%s is listed twice", r.ID)
		}
		seen[r.ID] = true
		if strings.TrimSpace(ig.Reason) == "" {
			v.addf(path+".reason", "is required: say why the %s findings are accepted (it goes into the manifest)", ig.Rule)
		} else if hasControl(ig.Reason) || len(ig.Reason) > 1000 {
			v.addf(path+".reason", "must be at most 1000 characters without control characters")
		}
	}
}
