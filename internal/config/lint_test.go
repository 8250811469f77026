package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msiforge/msiforge/internal/config"
)

// TestLintIgnore: lint.ignore entries need a known rule and a reason.
func TestLintIgnore(t *testing.T) {
	d := dir(t)
	c, err := config.Parse([]byte(good+"lint:\n  ignore:\n    - {rule: msf001, reason: the console's file key paths are deliberate}\n"), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Lint.IgnoredRules(); !cmp.Equal(got, []string{"MSF001"}) {
		t.Errorf("IgnoredRules = %v", got)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"    - {rule: ICE38}\n", "msiforge.yaml:14: lint.ignore[0].reason: is required: say why the ICE38 findings are accepted (it goes into the manifest)"},
		{"    - {rule: ICE999, reason: x}\n", `msiforge.yaml:14: lint.ignore[0].rule: "ICE999" is not a lint rule (msiforge lint --list shows them)`},
		{"    - {reason: x}\n", "msiforge.yaml:14: lint.ignore[0].rule: is required (a rule of msiforge lint --list, e.g. ICE38)"},
		{"    - {rule: ICE38, reason: x}\n    - {rule: ice38, reason: y}\n", "msiforge.yaml:15: lint.ignore[1].rule: ICE38 is listed twice"},
	} {
		_, err := config.Parse([]byte(good+"lint:\n  ignore:\n"+tt.yaml), "msiforge.yaml", d)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
