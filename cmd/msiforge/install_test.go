package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestInstallFromClone does what the README's install section says for a
// checkout: a git clone of this repository, `go install ./cmd/msiforge`
// with an empty module cache in a temporary GOPATH (so every dependency
// comes from the module proxy, as on a fresh machine), then `msiforge
// version`, which must name the clone's revision: a checkout build
// reports its VCS revision, not a bare "devel".
func TestInstallFromClone(t *testing.T) {
	testutil.NeedTool(t, "go", "git")
	ctx := context.Background()
	tmp := t.TempDir()
	gopath := filepath.Join(tmp, "gopath")
	bin := filepath.Join(gopath, "bin")
	env := []string{
		"GOPATH=" + gopath,
		"GOMODCACHE=" + filepath.Join(gopath, "pkg", "mod"),
		"GOBIN=" + bin,
		// Read-write module cache files, so the test can remove them;
		// this also replaces any GOFLAGS from the environment or go env
		// (-buildvcs=false would hide the revision).
		"GOFLAGS=-modcacherw",
	}
	run := func(dir, name string, args ...string) string {
		t.Helper()
		res, err := execx.OS{}.Run(ctx, execx.Cmd{Name: name, Args: args, Dir: dir, Env: env})
		if err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, res.Stdout, res.Stderr)
		}
		return strings.TrimSpace(string(res.Stdout))
	}
	clone := filepath.Join(tmp, "msiforge")
	run("", "git", "clone", "-q", testutil.RepoRoot(t), clone)
	rev := run(clone, "git", "rev-parse", "HEAD")
	run(clone, "go", "install", "./cmd/msiforge")

	exe := filepath.Join(bin, "msiforge")
	out := run("", exe, "version")
	if !strings.HasPrefix(out, "msiforge ") || !strings.Contains(out, rev[:12]) {
		t.Errorf("msiforge version = %q; want the clone's revision %s in it", out, rev[:12])
	}
	if v := run("", exe, "--version"); v != out {
		t.Errorf("msiforge --version = %q, msiforge version = %q; want the same", v, out)
	}
	var info struct {
		Version       string `json:"version"`
		Module        string `json:"module"`
		ModuleVersion string `json:"module_version"`
		VCSRevision   string `json:"vcs_revision"`
		VCSModified   bool   `json:"vcs_modified"`
	}
	if err := json.Unmarshal([]byte(run("", exe, "version", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info.VCSRevision != rev || info.VCSModified || info.Module != "github.com/msiforge/msiforge" || "msiforge "+info.Version != out {
		t.Errorf("version --json = %+v; want revision %s, unmodified, version as printed (%q)", info, rev, out)
	}
	// Nothing came from the machine's module cache.
	if _, err := os.Stat(filepath.Join(gopath, "pkg", "mod", "cache", "download", "github.com", "spf13", "cobra")); err != nil {
		t.Errorf("the dependencies were not downloaded into the temporary GOPATH: %v", err)
	}
}
