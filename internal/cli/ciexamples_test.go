package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/testutil"
)

// ghWorkflow is the part of examples/ci/release-shards.yml the test reads.
type ghWorkflow struct {
	Name string            `yaml:"name"`
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		RunsOn   string            `yaml:"runs-on"`
		Needs    any               `yaml:"needs"`
		Outputs  map[string]string `yaml:"outputs"`
		Env      map[string]string `yaml:"env"`
		Strategy struct {
			Matrix any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// glPipeline is the part of examples/ci/.gitlab-ci.yml the test reads.
type glJob struct {
	Stage    string   `yaml:"stage"`
	Needs    []string `yaml:"needs"`
	Script   []string `yaml:"script"`
	Parallel struct {
		Matrix []map[string][]string `yaml:"matrix"`
	} `yaml:"parallel"`
	Artifacts struct {
		Paths []string `yaml:"paths"`
	} `yaml:"artifacts"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "ci", name))
	if err != nil {
		t.Fatal(err)
	}
	// yaml.v3 also refuses a key given twice in one mapping.
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s is not well-formed YAML: %v", name, err)
	}
}

// planShards runs msiforge plan --json --shards n on the example config
// (with placeholder payload) and returns its matrix's shard names.
func planShards(t *testing.T, n int) []string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"plan", "-f", testutil.ExampleConfig(t), "--shards", strconv.Itoa(n), "--json"}, &out, &errb, os.Getenv)
	if code != 0 {
		t.Fatalf("msiforge plan --shards %d: exit %d: %s", n, code, errb.String())
	}
	var p struct {
		Shards int `json:"shards"`
		Matrix struct {
			Include []map[string]any `json:"include"`
		} `json:"matrix"`
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, inc := range p.Matrix.Include {
		s, _ := inc["shard"].(string)
		names = append(names, s)
	}
	if p.Shards != n || len(names) != n {
		t.Fatalf("plan --shards %d: %d shards, matrix %v", n, p.Shards, names)
	}
	return names
}

// checkCommands finds every msiforge command line in script (after
// replacing the variables in vars) and checks it against the cobra tree:
// the subcommand exists, every flag exists and takes the value given, the
// arguments are what the command accepts. It returns the subcommands.
func checkCommands(t *testing.T, where, script string, vars map[string]string) []string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(script, "\n") {
		// Longest names first: $SHARDS before $SHARD.
		keys := make([]string, 0, len(vars))
		for k := range vars {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
		for _, k := range keys {
			line = strings.ReplaceAll(line, k, vars[k])
		}
		f := strings.Fields(line)
		for i, tok := range f {
			if filepath.Base(tok) != "msiforge" {
				continue
			}
			var args []string
			for _, a := range f[i+1:] {
				if slices.Contains([]string{"|", "||", "&&", ";", ">", ">>", "2>"}, a) {
					break
				}
				args = append(args, strings.Trim(a, `"'`))
			}
			root := newRootCmd(&Env{Getenv: os.Getenv})
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == root {
				t.Errorf("%s: msiforge %s: no such command (%v)", where, strings.Join(args, " "), err)
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s: msiforge %s: %v", where, strings.Join(args, " "), err)
				continue
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s: msiforge %s: %v", where, strings.Join(args, " "), err)
			}
			found = append(found, cmd.Name())
		}
	}
	return found
}

// noSecretsInScripts: secrets reach the jobs only through the
// environment, never a command line that a log or `ps` would show.
func noSecretsInScripts(t *testing.T, where, script string) {
	t.Helper()
	for _, bad := range []string{"secrets.", "RELIC_", "PIN", "set -x", "printenv", "env |"} {
		if strings.Contains(script, bad) {
			t.Errorf("%s: a script mentions %q: secrets belong in env only, and nothing may print the environment", where, bad)
		}
	}
}

// TestCIExamples parses the GitHub Actions and GitLab CI examples of a
// sharded release: well-formed YAML; a plan job, one build job per shard
// of msiforge plan's output for the file's SHARDS (GitHub: the matrix is
// plan's JSON itself; GitLab: the SHARD list equals plan's shard names),
// a merge job after them; signing secrets only in the environment; every
// msiforge command and flag exists in msiforge's command tree.
func TestCIExamples(t *testing.T) {
	const config = "examples/console/msiforge.yaml" // planShards runs plan on it

	var gh ghWorkflow
	readYAML(t, "release-shards.yml", &gh)
	if gh.Name == "" || len(gh.On) == 0 {
		t.Errorf("release-shards.yml: no name or trigger")
	}
	if gh.Env["MSIFORGE_CONFIG"] != config {
		t.Errorf("release-shards.yml: MSIFORGE_CONFIG %q, want %q", gh.Env["MSIFORGE_CONFIG"], config)
	}
	n, err := strconv.Atoi(gh.Env["SHARDS"])
	if err != nil || n < 2 {
		t.Fatalf("release-shards.yml: SHARDS %q: want a number of at least 2", gh.Env["SHARDS"])
	}
	shards := planShards(t, n)
	planJob, build, merge := gh.Jobs["plan"], gh.Jobs["build"], gh.Jobs["merge"]
	if build.Needs != "plan" || merge.Needs != "build" {
		t.Errorf("release-shards.yml: build needs %v, merge needs %v", build.Needs, merge.Needs)
	}
	if build.Strategy.Matrix != "${{ fromJSON(needs.plan.outputs.matrix) }}" || planJob.Outputs["matrix"] != "${{ steps.plan.outputs.matrix }}" {
		t.Errorf("release-shards.yml: the build matrix (%v) is not plan's JSON matrix (%v)", build.Strategy.Matrix, planJob.Outputs)
	}
	if !strings.Contains(build.Env["SOURCE_DATE_EPOCH"], "needs.plan.outputs.epoch") {
		t.Errorf("release-shards.yml: the shards do not share the plan's SOURCE_DATE_EPOCH: %q", build.Env["SOURCE_DATE_EPOCH"])
	}
	for _, v := range []string{"RELIC_URL", "RELIC_CLIENT_CERT", "RELIC_CLIENT_KEY"} {
		if build.Env[v] != "${{ secrets."+v+" }}" {
			t.Errorf("release-shards.yml: build env %s = %q, want the secret", v, build.Env[v])
		}
	}
	ghVars := map[string]string{"${{ matrix.shard }}": shards[0], "$MSIFORGE_CONFIG": config, "$SHARDS": gh.Env["SHARDS"]}
	var ghCmds []string
	for name, job := range gh.Jobs {
		for _, st := range job.Steps {
			noSecretsInScripts(t, "release-shards.yml job "+name, st.Run)
			for _, c := range checkCommands(t, "release-shards.yml job "+name, st.Run, ghVars) {
				ghCmds = append(ghCmds, name+":"+c)
			}
		}
	}
	slices.Sort(ghCmds)
	if got := strings.Join(ghCmds, " "); got != "build:build merge:merge plan:plan" {
		t.Errorf("release-shards.yml runs msiforge %s, want plan in plan, build in build, merge in merge", got)
	}

	var vars struct {
		Variables map[string]string `yaml:"variables"`
		Stages    []string          `yaml:"stages"`
		Plan      glJob             `yaml:"plan"`
		Build     glJob             `yaml:"build"`
		Merge     glJob             `yaml:"merge"`
	}
	readYAML(t, ".gitlab-ci.yml", &vars)
	if vars.Variables["MSIFORGE_CONFIG"] != config {
		t.Errorf(".gitlab-ci.yml: MSIFORGE_CONFIG %q, want %q", vars.Variables["MSIFORGE_CONFIG"], config)
	}
	m, err := strconv.Atoi(vars.Variables["SHARDS"])
	if err != nil || m < 2 {
		t.Fatalf(".gitlab-ci.yml: SHARDS %q: want a number of at least 2", vars.Variables["SHARDS"])
	}
	if len(vars.Build.Parallel.Matrix) != 1 || !slices.Equal(vars.Build.Parallel.Matrix[0]["SHARD"], planShards(t, m)) {
		t.Errorf(".gitlab-ci.yml: parallel:matrix %v, want SHARD: %v (msiforge plan --shards %d)", vars.Build.Parallel.Matrix, planShards(t, m), m)
	}
	if !slices.Equal(vars.Stages, []string{"plan", "build", "merge"}) || !slices.Equal(vars.Build.Needs, []string{"plan"}) || !slices.Equal(vars.Merge.Needs, []string{"build"}) {
		t.Errorf(".gitlab-ci.yml: stages %v, build needs %v, merge needs %v", vars.Stages, vars.Build.Needs, vars.Merge.Needs)
	}
	glVars := map[string]string{"$MSIFORGE_CONFIG": config, "$SHARDS": vars.Variables["SHARDS"], "$SHARD": "1/" + vars.Variables["SHARDS"], "${SHARD%/*}": "1"}
	var glCmds []string
	for name, job := range map[string]glJob{"plan": vars.Plan, "build": vars.Build, "merge": vars.Merge} {
		script := strings.Join(job.Script, "\n")
		noSecretsInScripts(t, ".gitlab-ci.yml job "+name, script)
		for _, c := range checkCommands(t, ".gitlab-ci.yml job "+name, script, glVars) {
			glCmds = append(glCmds, name+":"+c)
		}
	}
	slices.Sort(glCmds)
	if got := strings.Join(glCmds, " "); got != "build:build merge:merge plan:plan" {
		t.Errorf(".gitlab-ci.yml runs msiforge %s, want plan in plan, build in build, merge in merge", got)
	}
}
