package verifykit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/testutil"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Name string              `yaml:"name"`
	On   map[string]any      `yaml:"on"`
	Jobs map[string]struct { //
		RunsOn   string   `yaml:"runs-on"`
		Needs    any      `yaml:"needs"`
		Strategy struct { //
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			With  map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestWorkflowExample parses examples/ci/windows-verify.yml: a build job
// on Linux, a run job on windows-latest and windows-11-arm that needs it
// and runs verify.cmd with cmd, a compare job that needs the runs; and
// every msiforge command it names exists with every flag it gives (its
// --help succeeds, names the command and lists the flag).
func TestWorkflowExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "ci", "windows-verify.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if len(wf.On) == 0 || wf.Name == "" {
		t.Errorf("no name or no trigger: %+v", wf)
	}
	build, run, compare := wf.Jobs["build"], wf.Jobs["run"], wf.Jobs["compare"]
	if !strings.HasPrefix(build.RunsOn, "ubuntu") || !strings.HasPrefix(compare.RunsOn, "ubuntu") {
		t.Errorf("build runs on %q, compare on %q: want Linux", build.RunsOn, compare.RunsOn)
	}
	oses := map[string]bool{}
	for _, inc := range run.Strategy.Matrix.Include {
		oses[inc["os"]] = true
	}
	if !oses["windows-latest"] || !oses["windows-11-arm"] || run.RunsOn != "${{ matrix.os }}" {
		t.Errorf("run job: runs-on %q, matrix %v", run.RunsOn, run.Strategy.Matrix.Include)
	}
	if run.Needs != "build" || compare.Needs != "run" {
		t.Errorf("needs: run %v, compare %v", run.Needs, compare.Needs)
	}
	ranScript := false
	for _, st := range run.Steps {
		if strings.Contains(st.Run, "verify.cmd") && st.Shell == "cmd" {
			ranScript = true
		}
	}
	if !ranScript {
		t.Error("the run job does not run verify.cmd with shell: cmd")
	}

	var commands int
	for name, job := range wf.Jobs {
		for _, st := range job.Steps {
			for _, line := range strings.Split(st.Run, "\n") {
				f := strings.Fields(line)
				for i, tok := range f {
					if filepath.Base(tok) != "msiforge" {
						continue
					}
					var sub, flags []string
					j := i + 1
					for ; j < len(f) && isWord(f[j]); j++ {
						sub = append(sub, f[j])
					}
					for ; j < len(f) && f[j] != "||" && f[j] != "&&" && f[j] != "|"; j++ {
						if strings.HasPrefix(f[j], "--") {
							flag, _, _ := strings.Cut(f[j], "=")
							flags = append(flags, flag)
						}
					}
					commands++
					code, out, errs := msiforge(append(append([]string{}, sub...), "--help")...)
					if code != 0 || !strings.Contains(out, "msiforge "+strings.Join(sub, " ")) {
						t.Errorf("job %s: msiforge %s: --help exit %d, not its help:\n%s%s", name, strings.Join(sub, " "), code, out, errs)
						continue
					}
					for _, fl := range flags {
						if !strings.Contains(out, fl+" ") {
							t.Errorf("job %s: msiforge %s has no flag %s", name, strings.Join(sub, " "), fl)
						}
					}
				}
			}
		}
	}
	if commands < 4 {
		t.Errorf("%d msiforge commands found in the workflow, want build, two verify-kit and compare", commands)
	}
}

// isWord is a subcommand name: a lower-case letter, then letters and dashes.
func isWord(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}
