package matrix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/matrix"
)

// TestREADMEScenarios fails when the README's scenario list is stale. Fix
// it with the table `msiforge matrix --scenarios --format markdown` prints
// (the one this failure prints), between the markers.
func TestREADMEScenarios(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := "<!-- scenarios:begin (generated from internal/matrix) -->\n", "<!-- scenarios:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q and %q markers", begin, end)
	}
	want := matrix.ScenariosMarkdown(matrix.Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"})
	if got := readme[i+len(begin) : j]; got != want {
		t.Errorf("README.md's scenario list is stale; replace it with:\n%s", want)
	}
}

// TestScenarios: IDs are unique, every step names a known package and
// action, and the expectations follow the update matrix.
func TestScenarios(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range []matrix.Defaults{{RunAtStartup: "0", ShouldAutoUpdate: "0"}, {RunAtStartup: "1", ShouldAutoUpdate: "1"}} {
		seen = map[string]bool{}
		for _, sc := range matrix.Scenarios(d) {
			if seen[sc.ID] {
				t.Errorf("duplicate scenario %s", sc.ID)
			}
			seen[sc.ID] = true
			for _, st := range append(append([]matrix.Step{}, sc.Setup...), sc.Step) {
				switch st.Package {
				case matrix.PkgThis, matrix.PkgNext, matrix.PkgRebuild, matrix.PkgSibling, matrix.PkgOld, matrix.PkgNew:
				default:
					t.Errorf("%s: unknown package %q", sc.ID, st.Package)
				}
				switch st.Action {
				case matrix.ActInstall, matrix.ActRepair, matrix.ActUninstall:
				default:
					t.Errorf("%s: unknown action %q", sc.ID, st.Action)
				}
			}
			// An omitted property takes the default; the effective
			// auto-update is the matrix's.
			if sc.Group == matrix.GroupOmitted {
				props := strings.Join(sc.Step.Props, " ")
				if !strings.Contains(props, "RUNATSTARTUP=") && sc.Want.Settings["RunAtStartup"] != d.RunAtStartup {
					t.Errorf("%s: RunAtStartup %q, want the default %q", sc.ID, sc.Want.Settings["RunAtStartup"], d.RunAtStartup)
				}
				perMachine := strings.Contains(props, "ALLUSERS=1")
				if perMachine && sc.Want.Settings["AutoUpdate"] != "0" {
					t.Errorf("%s: a per-machine install auto-updates", sc.ID)
				}
			}
		}
	}
	if len(seen) != 20+2*20+2*4 {
		t.Errorf("%d scenarios", len(seen))
	}
}

func TestParseDefaults(t *testing.T) {
	d, err := matrix.ParseDefaults("run_at_startup=1")
	if err != nil || d.RunAtStartup != "1" || d.ShouldAutoUpdate != "0" {
		t.Errorf("%+v %v", d, err)
	}
	for _, bad := range []string{"run_at_startup=2", "x=1", "run_at_startup"} {
		if _, err := matrix.ParseDefaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
