package plan_test

import (
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/testutil"
)

func files(ts []plan.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.File)
	}
	return out
}

// TestVSCTargets: the example builds the console and the VSC packages
// for all three architectures, console first; --arch arm64 selects the
// arm64 ones.
func TestVSCTargets(t *testing.T) {
	c, err := config.Load(testutil.ExampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := plan.Targets(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example-console-1.4.2-x86.msi", "example-console-1.4.2-x64.msi", "example-console-1.4.2-arm64.msi",
		"example-console-vsc-representative-1.4.2-x86.msi", "example-console-vsc-representative-1.4.2-x64.msi", "example-console-vsc-representative-1.4.2-arm64.msi",
		"example-console-vsc-customer-1.4.2-x86.msi", "example-console-vsc-customer-1.4.2-x64.msi", "example-console-vsc-customer-1.4.2-arm64.msi",
	}
	if got := files(ts); len(got) != len(want) {
		t.Fatalf("targets %q, want %q", got, want)
	}
	for i, tg := range ts {
		if tg.File != want[i] {
			t.Errorf("target %d is %s, want %s", i, tg.File, want[i])
		}
	}
	if ts[3].Role != config.RoleRepresentative || ts[3].Kind != "vsc-representative" || ts[8].Kind != "vsc-customer" {
		t.Errorf("kinds/roles: %+v %+v", ts[3], ts[8])
	}
	arm, err := plan.Targets(c, []string{"arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if got := files(arm); len(got) != 3 || got[0] != "example-console-1.4.2-arm64.msi" || got[1] != "example-console-vsc-representative-1.4.2-arm64.msi" || got[2] != "example-console-vsc-customer-1.4.2-arm64.msi" {
		t.Errorf("--arch arm64 targets %q", got)
	}
	if _, err := plan.Targets(c, []string{"ia64"}); err == nil || err.Error() != "--arch ia64: not one of the config's architectures (x86, x64, arm64)" {
		t.Errorf("err = %v", err)
	}
}
