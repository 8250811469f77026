package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
)

// action is the part of a GitHub composite action's metadata the test
// reads (https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions).
type action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

var (
	inputRefRE  = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)
	stepOutRE   = regexp.MustCompile(`^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$`)
	runsMsiRE   = regexp.MustCompile(`msiforge"?\s+([a-z][a-z-]*)`)
	argsRE      = regexp.MustCompile(`args\+?=\(([^)]*)\)`)
	flagRE      = regexp.MustCompile(`(?:^|\s)(--[a-z][a-z0-9-]*)`)
	ghOutputRE  = regexp.MustCompile(`echo "([A-Za-z0-9_-]+)=.*>> "\$GITHUB_OUTPUT"`)
	injectionRE = regexp.MustCompile(`\$\{\{`)
)

// TestAction checks action.yml: well-formed composite action metadata,
// every declared input used and every used input declared, each output
// set by its step, no ${{ }} expansion inside a script (inputs reach
// scripts through env), and every msiforge command and flag the scripts
// run present in msiforge's command tree.
func TestAction(t *testing.T) {
	root := testutil.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false) // author, branding: not read here
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: want name, description and a composite runs with steps; got %+v", a)
	}
	used := map[string]bool{}
	steps := map[string]actionStep{}
	setOutputs := map[string]map[string]bool{}
	tree := newRootCmd(&Env{})
	ranBuild := false
	for i, s := range a.Runs.Steps {
		where := s.Name
		if where == "" {
			where = s.Uses
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %d (%s): want exactly one of run and uses", i, where)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s): a composite action's run step needs shell", i, where)
		}
		if injectionRE.MatchString(s.Run) {
			t.Errorf("step %d (%s): ${{ }} inside run; pass the value through env", i, where)
		}
		for _, v := range append(mapValues(s.With), mapValues(s.Env)...) {
			for _, m := range inputRefRE.FindAllStringSubmatch(v, -1) {
				used[m[1]] = true
			}
		}
		if s.ID != "" {
			steps[s.ID] = s
			setOutputs[s.ID] = map[string]bool{}
			for _, m := range ghOutputRE.FindAllStringSubmatch(s.Run, -1) {
				setOutputs[s.ID][m[1]] = true
			}
		}
		// msiforge commands run directly ("msiforge version").
		for _, m := range runsMsiRE.FindAllStringSubmatch(s.Run, -1) {
			if c, _, err := tree.Find([]string{m[1]}); err != nil || c == tree {
				t.Errorf("step %q runs msiforge %s, which is not a command", where, m[1])
			}
		}
		// Commands built up in args=(...) / args+=(...).
		var cmd *cobra.Command
		for _, m := range argsRE.FindAllStringSubmatch(s.Run, -1) {
			if strings.Contains(m[0], "args=(") {
				sub := strings.Fields(m[1])[0]
				c, _, err := tree.Find([]string{sub})
				if err != nil || c == tree {
					t.Fatalf("step %q: args=(%s ...): not an msiforge command", where, sub)
				}
				cmd = c
				ranBuild = ranBuild || sub == "build"
			}
			if cmd == nil {
				t.Fatalf("step %q: args+= before args=(command ...)", where)
			}
			for _, f := range flagRE.FindAllStringSubmatch(m[1], -1) {
				name := strings.TrimPrefix(f[1], "--")
				if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil {
					t.Errorf("step %q passes %s, which msiforge %s does not have", where, f[1], cmd.Name())
				}
			}
		}
	}
	if !ranBuild {
		t.Error("action.yml never runs msiforge build")
	}
	var declared []string
	for name, in := range a.Inputs {
		declared = append(declared, name)
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %q: want a description and a default (every input is optional)", name)
		}
		if !used[name] {
			t.Errorf("input %q is declared but never used", name)
		}
	}
	for name := range used {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("inputs.%s is used but not declared", name)
		}
	}
	sort.Strings(declared)
	for _, want := range []string{"architectures", "config", "from-goreleaser", "pkcs12", "cert", "version"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("no input %q (declared: %v)", want, declared)
		}
	}
	if _, ok := a.Outputs["manifest"]; !ok {
		t.Error("no output manifest")
	}
	for name, o := range a.Outputs {
		m := stepOutRE.FindStringSubmatch(o.Value)
		if m == nil || o.Description == "" {
			t.Errorf("output %q: want a description and value ${{ steps.ID.outputs.NAME }}, got %q", name, o.Value)
			continue
		}
		if !setOutputs[m[1]][m[2]] {
			t.Errorf("output %q: step %q does not write %s to $GITHUB_OUTPUT", name, m[1], m[2])
		}
	}

	// The example workflow passes only inputs the action declares and
	// reads only outputs it has.
	wf, err := os.ReadFile(filepath.Join(root, "examples", "ci", "goreleaser-msiforge.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Jobs map[string]struct {
			Steps []actionStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(wf, &w); err != nil {
		t.Fatalf("examples/ci/goreleaser-msiforge.yml: %v", err)
	}
	found := false
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if !strings.HasPrefix(s.Uses, "msiforge/msiforge@") {
				continue
			}
			found = true
			for k := range s.With {
				if _, ok := a.Inputs[k]; !ok {
					t.Errorf("the example passes %s: %q, which action.yml does not declare", k, s.With[k])
				}
			}
		}
	}
	if !found {
		t.Error("examples/ci/goreleaser-msiforge.yml does not use msiforge/msiforge@")
	}
	for _, m := range regexp.MustCompile(`steps\.msiforge\.outputs\.([a-z-]+)`).FindAllStringSubmatch(string(wf), -1) {
		if _, ok := a.Outputs[m[1]]; !ok {
			t.Errorf("the example reads output %q, which action.yml does not have", m[1])
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestActionRuns runs action.yml's own install and build scripts as a
// runner would (bash -eo pipefail, the step's env with the inputs put
// in): msiforge installed from this checkout into a temporary GOPATH
// (input version empty), then msiforge build of the example for x64 with
// an output directory, and checks the outputs the action exposes.
func TestActionRuns(t *testing.T) {
	testutil.NeedTool(t, "bash", "go", "jq", "wixl", "msibuild", "makensis")
	root := testutil.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "example", "msiforge.yaml")
	if err := testutil.WriteExample(filepath.Dir(cfg)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "installers")
	inputs := map[string]string{}
	for name, in := range a.Inputs {
		inputs[name] = *in.Default
	}
	inputs["config"], inputs["architectures"], inputs["output"] = cfg, "x64", out
	ghOutput, ghPath := filepath.Join(tmp, "github_output"), filepath.Join(tmp, "github_path")
	modcache, err := execx.OS{}.Run(context.Background(), execx.Cmd{Name: "go", Args: []string{"env", "GOMODCACHE"}})
	if err != nil {
		t.Fatal(err)
	}
	base := []string{
		"GITHUB_ACTION_PATH=" + root, "GITHUB_OUTPUT=" + ghOutput, "GITHUB_PATH=" + ghPath, "RUNNER_TEMP=" + tmp,
		// A GOPATH of its own for the installed binary; the machine's
		// module cache (TestInstallFromClone starts from an empty one).
		"GOPATH=" + filepath.Join(tmp, "gopath"), "GOMODCACHE=" + strings.TrimSpace(string(modcache.Stdout)), "GOFLAGS=-modcacherw",
		"SOURCE_DATE_EPOCH=",
	}
	for _, id := range []string{"install", "build"} {
		var step *actionStep
		for i := range a.Runs.Steps {
			if a.Runs.Steps[i].ID == id {
				step = &a.Runs.Steps[i]
			}
		}
		if step == nil {
			t.Fatalf("action.yml has no step with id %q", id)
		}
		env := append([]string(nil), base...)
		for k, v := range step.Env {
			v = inputRefRE.ReplaceAllStringFunc(v, func(ref string) string { return inputs[inputRefRE.FindStringSubmatch(ref)[1]] })
			env = append(env, k+"="+v)
		}
		// What a runner runs for shell: bash.
		res, err := execx.OS{}.Run(context.Background(), execx.Cmd{Name: "bash", Args: []string{"--noprofile", "--norc", "-eo", "pipefail", "-c", step.Run}, Env: env, Dir: tmp})
		if err != nil {
			t.Fatalf("step %s: %v\n%s%s", id, err, res.Stdout, res.Stderr)
		}
	}
	outputs := map[string]string{}
	data, err = os.ReadFile(ghOutput)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	if outputs["manifest"] != filepath.Join(out, "manifest.json") {
		t.Errorf("output manifest = %q, want %s", outputs["manifest"], filepath.Join(out, "manifest.json"))
	}
	var m struct {
		Artifacts []struct{ File, Arch string } `json:"artifacts"`
	}
	if data, err := os.ReadFile(outputs["manifest"]); err != nil || json.Unmarshal(data, &m) != nil || len(m.Artifacts) == 0 {
		t.Fatalf("manifest %s: %v %s", outputs["manifest"], err, data)
	}
	for _, art := range m.Artifacts {
		if art.Arch != "x64" {
			t.Errorf("architectures x64 built %s (%s)", art.File, art.Arch)
		}
	}
	var built []struct{ Name, Path string }
	if data, err := os.ReadFile(outputs["artifacts"]); err != nil || json.Unmarshal(data, &built) != nil || len(built) != len(m.Artifacts) {
		t.Errorf("artifacts output %s: %v; %d entries for %d artifacts", outputs["artifacts"], err, len(built), len(m.Artifacts))
	}
	if p, _ := os.ReadFile(ghPath); strings.TrimSpace(string(p)) != filepath.Join(tmp, "gopath", "bin") {
		t.Errorf("GITHUB_PATH got %q, want the GOPATH's bin", p)
	}
}
