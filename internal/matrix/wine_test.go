package matrix

import (
	"sort"
	"strings"
	"testing"
)

// TestWineDiffersAreScenarios: every Wine difference names a scenario of
// the table (a renamed scenario must not leave a stale entry that the kit
// and TestWineScenarios would silently ignore), and each differs from the
// Windows expectation it replaces.
func TestWineDiffersAreScenarios(t *testing.T) {
	byID := map[string]Scenario{}
	for _, sc := range Scenarios(Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"}) {
		byID[sc.ID] = sc
	}
	var ids []string
	for id, d := range WineDiffers() {
		ids = append(ids, id)
		sc, ok := byID[id]
		if !ok {
			t.Errorf("WineDiffers names %q, which is no scenario", id)
			continue
		}
		if sc.Want.String() == d.Want.String() {
			t.Errorf("%s: Wine's expectation is Windows' (%s)", id, d.Want)
		}
	}
	sort.Strings(ids)
	if len(ids) != 10 {
		t.Errorf("%d Wine differences, docs/wine-differences.md lists 10:\n%s", len(ids), strings.Join(ids, "\n"))
	}
}
