package main

import (
	"archive/zip"
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

// TestInstallAtVersion is `go install github.com/msiforge/msiforge/cmd/msiforge@VERSION`
// as a user runs it, against a module proxy on disk that serves this
// checkout as v1.99.0 (the dependencies come from the machine's module
// cache, itself in proxy layout, so no network is needed): `msiforge
// version` must print the module version, and version --json must say
// so, with no VCS revision (a module zip has none).
func TestInstallAtVersion(t *testing.T) {
	testutil.NeedTool(t, "go", "git")
	ctx := context.Background()
	const version = "v1.99.0" // v0 or v1: the module path has no /vN suffix
	tmp := t.TempDir()
	root := testutil.RepoRoot(t)
	modcache, err := execx.OS{}.Run(ctx, execx.Cmd{Name: "go", Args: []string{"env", "GOMODCACHE"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := execx.OS{}.Run(ctx, execx.Cmd{Name: "git", Args: []string{"ls-files"}, Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	proxy := filepath.Join(tmp, "proxy")
	writeModule(t, proxy, root, "github.com/msiforge/msiforge", version, strings.Fields(string(files.Stdout)))

	gopath := filepath.Join(tmp, "gopath")
	env := []string{
		"GOPATH=" + gopath, "GOMODCACHE=" + filepath.Join(gopath, "pkg", "mod"), "GOBIN=" + filepath.Join(gopath, "bin"),
		"GOFLAGS=-modcacherw",
		"GOPROXY=file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modcache.Stdout)), "cache", "download")),
		// The test module is not in the checksum database, and go
		// install …@version checks every dependency there; they come
		// from this machine's module cache, verified when downloaded.
		"GOSUMDB=off", "GOPRIVATE=", "GONOPROXY=",
	}
	run := func(name string, args ...string) string {
		t.Helper()
		res, err := execx.OS{}.Run(ctx, execx.Cmd{Name: name, Args: args, Dir: tmp, Env: env})
		if err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, res.Stdout, res.Stderr)
		}
		return strings.TrimSpace(string(res.Stdout))
	}
	// -trimpath only lets the build reuse the machine's build cache (the
	// module cache path differs); it changes nothing in the build info.
	run("go", "install", "-trimpath", "github.com/msiforge/msiforge/cmd/msiforge@"+version)
	exe := filepath.Join(gopath, "bin", "msiforge")
	if out := run(exe, "version"); out != "msiforge "+version {
		t.Errorf("msiforge version = %q, want %q", out, "msiforge "+version)
	}
	if out := run(exe, "--version"); out != "msiforge "+version {
		t.Errorf("msiforge --version = %q, want %q", out, "msiforge "+version)
	}
	var info struct {
		Version       string `json:"version"`
		ModuleVersion string `json:"module_version"`
		VCSRevision   string `json:"vcs_revision"`
	}
	if err := json.Unmarshal([]byte(run(exe, "version", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Version != version || info.ModuleVersion != version || info.VCSRevision != "" {
		t.Errorf("version --json = %+v; want version and module_version %s, no revision", info, version)
	}
}

// writeModule writes module path@version into a GOPROXY directory
// (https://go.dev/ref/mod#goproxy-protocol): the listed files of dir,
// without nested modules, as the module zip, plus .info, .mod and list.
func writeModule(t *testing.T, proxy, dir, path, version string, files []string) {
	t.Helper()
	at := filepath.Join(proxy, filepath.FromSlash(path), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	var nested []string
	for _, f := range files {
		if filepath.Base(f) == "go.mod" && f != "go.mod" {
			nested = append(nested, filepath.Dir(f)+"/")
		}
	}
	zf, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
files:
	for _, f := range files {
		for _, n := range nested {
			if strings.HasPrefix(f, n) {
				continue files
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(path + "@" + version + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		version + ".mod":  mod,
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-12-01T00:00:00Z"}`),
		"list":            []byte(version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
