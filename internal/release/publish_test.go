package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/dirlock"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
)

// release1 builds c's release into out with the real tools, collecting
// the progress lines.
func release1(t *testing.T, run execx.Runner, c *config.Config, out string) (*release.Result, []string, error) {
	t.Helper()
	return releaseOpts(t, run, c, release.Options{OutDir: out})
}

func releaseOpts(t *testing.T, run execx.Runner, c *config.Config, opts release.Options) (*release.Result, []string, error) {
	t.Helper()
	var progress []string
	opts.Progress = func(s string) { progress = append(progress, s) }
	res, err := release.Release(context.Background(), run, c, opts, "test")
	return res, progress, err
}

// snapshot maps each file of dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func names(m map[string]string) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sameRelease(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := snapshot(t, dir)
	if strings.Join(names(got), " ") != strings.Join(names(want), " ") {
		t.Fatalf("%s holds %v, want the previous release %v", dir, names(got), names(want))
	}
	for n, b := range want {
		if got[n] != b {
			t.Errorf("%s changed", n)
		}
	}
}

// siblings lists what lies next to out besides out itself.
func siblings(t *testing.T, out string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, e := range entries {
		if e.Name() != filepath.Base(out) {
			s = append(s, e.Name())
		}
	}
	return s
}

// TestTwoProductNamesIntoOneDirectory builds one product name, then
// another into the same directory: the second build is refused, naming
// the first build's files, and changes nothing; with Clean it removes
// them, and the directory holds exactly the second release, which its
// manifest and SHA256SUMS list. Nothing is left next to the output
// directory (no staging directory, no lock file).
func TestTwoProductNamesIntoOneDirectory(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	out := filepath.Join(t.TempDir(), "dist")
	c := testutil.LoadExample(t, "x64")
	if _, _, err := release1(t, execx.OS{}, c, out); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, out)
	c.Output.Name = "other-name"
	_, _, err := release1(t, execx.OS{}, c, out)
	if err == nil || !strings.Contains(err.Error(), "holds files an earlier msiforge build wrote that this release does not have: example-console-1.4.2-x64.exe, example-console-1.4.2-x64.msi; ") || !strings.Contains(err.Error(), "--clean") {
		t.Fatalf("err = %v, want the stale files refused", err)
	}
	sameRelease(t, out, first)

	var progress []string
	res, err := release.Release(context.Background(), execx.OS{}, c, release.Options{OutDir: out, Clean: true, Progress: func(s string) { progress = append(progress, s) }}, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SHA256SUMS", "index.html", "manifest.json", "other-name-1.4.2-x64.exe", "other-name-1.4.2-x64.msi"}
	if got := names(snapshot(t, out)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %v, want %v", out, got, want)
	}
	if !strings.Contains(strings.Join(progress, "\n"), "removed "+filepath.Join(out, "example-console-1.4.2-x64.msi")+" of an earlier build (--clean)") {
		t.Errorf("progress does not report the removal:\n%s", strings.Join(progress, "\n"))
	}
	sums := snapshot(t, out)["SHA256SUMS"]
	if n := strings.Count(sums, "\n"); n != len(res.Artifacts) {
		t.Errorf("SHA256SUMS lists %d files, want the %d artifacts:\n%s", n, len(res.Artifacts), sums)
	}
	for _, a := range res.Artifacts {
		if filepath.Dir(a.Path) != out || !strings.Contains(sums, a.SHA256+"  "+filepath.Base(a.Path)) {
			t.Errorf("artifact %s (%s) not in %s or SHA256SUMS:\n%s", a.Path, a.SHA256, out, sums)
		}
	}
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("left next to the output directory: %v", s)
	}

	// The manifest records the tools the build ran, with their versions,
	// and no other installed tool (wine, osslsigncode, go, msiinfo).
	var m manifest.Manifest
	if err := json.Unmarshal([]byte(snapshot(t, out)["manifest.json"]), &m); err != nil {
		t.Fatal(err)
	}
	var tools []string
	for name, v := range m.Build.Tools {
		if v == "" {
			t.Errorf("tool %s has no version", name)
		}
		tools = append(tools, name)
	}
	sort.Strings(tools)
	if strings.Join(tools, " ") != "makensis msibuild wixl" {
		t.Errorf("manifest records tools %v, want the ones the build ran: makensis msibuild wixl", m.Build.Tools)
	}
}

// TestUserFilesAreKept: files msiforge did not write stay, byte for byte,
// beside the release (without and with --clean, and through a rebuild),
// and a release that would overwrite one is refused before anything is
// built.
func TestUserFilesAreKept(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	c := testutil.LoadExample(t, "x64")
	out := filepath.Join(t.TempDir(), "dist")
	os.MkdirAll(filepath.Join(out, "src"), 0o755)
	os.WriteFile(filepath.Join(out, "src", "a.go"), []byte("package a"), 0o644)
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	for _, clean := range []bool{false, true, true} {
		if _, err := release.Release(context.Background(), execx.OS{}, c, release.Options{OutDir: out, Clean: clean}, "test"); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(b) != "mine" {
			t.Errorf("notes.txt: %q, %v", b, err)
		}
		if b, err := os.ReadFile(filepath.Join(out, "src", "a.go")); err != nil || string(b) != "package a" {
			t.Errorf("src/a.go: %q, %v", b, err)
		}
		if _, ok := snapshot(t, out)["example-console-1.4.2-x64.msi"]; !ok {
			t.Error("not published")
		}
	}

	// A file of the user's where an artifact goes.
	rel := filepath.Join(t.TempDir(), "dist")
	os.MkdirAll(rel, 0o755)
	os.WriteFile(filepath.Join(rel, "example-console-1.4.2-x64.msi"), []byte("mine"), 0o644)
	before := snapshotTree(t, rel)
	_, _, err := release1(t, &fakeRunner{err: errors.New("must not run")}, c, rel)
	if err == nil || !strings.Contains(err.Error(), "holds example-console-1.4.2-x64.msi, which msiforge did not write") {
		t.Fatalf("err = %v", err)
	}
	if after := snapshotTree(t, rel); after != before {
		t.Errorf("the directory changed:\n%s\nwant\n%s", after, before)
	}
	if s := siblings(t, rel); len(s) != 0 {
		t.Errorf("left next to the output directory: %v", s)
	}
}

// TestPreflight: with tools missing from PATH the build fails before it
// writes anything, naming every missing tool the plan needs (and only
// those) with its package; the previous release stays byte for byte, and
// nothing appears next to it (no staging directory, no lock file).
func TestPreflight(t *testing.T) {
	c := testutil.LoadExample(t, "x64")
	out := filepath.Join(t.TempDir(), "dist")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "manifest.json"), []byte(`{"schema_version":1,"artifacts":[{"file":"a.msi"}],"build":{"msiforge":"v1"}}`), 0o644)
	os.WriteFile(filepath.Join(out, "a.msi"), []byte("x"), 0o644)
	before := snapshotTree(t, out)
	t.Setenv("PATH", t.TempDir())
	_, _, err := release1(t, &fakeRunner{err: errors.New("must not run")}, c, out)
	var tm *execx.ToolMissingError
	if !errors.As(err, &tm) {
		t.Fatalf("err = %v, want a missing tool", err)
	}
	if want := "build needs 3 tools that are not in PATH: wixl (Debian package wixl), msibuild (Debian package msitools), makensis (Debian package nsis); install them with: apt-get install wixl msitools nsis"; err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if after := snapshotTree(t, out); after != before {
		t.Errorf("the output directory changed:\n%s\nwant\n%s", after, before)
	}
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("left next to the output directory: %v", s)
	}

	// Only what the plan needs: no EXE, no makensis; a VSC package, go.
	bin := t.TempDir()
	for _, tool := range []string{"wixl", "msibuild"} {
		os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755)
	}
	t.Setenv("PATH", bin)
	noEXE := false
	c.Console.EXE = &noEXE
	if err := release.Preflight(c, nil); err != nil {
		t.Errorf("console MSIs only: %v, want no tool missing", err)
	}
	v := testutil.LoadExampleWithVSC(t, "x64")
	v.Console.EXE = &noEXE
	if err := release.Preflight(v, nil); err == nil || !strings.HasPrefix(err.Error(), "build needs 1 tool that is not in PATH: go (Go 1.21 or later from https://go.dev/dl") {
		t.Errorf("with VSC packages: %v, want go missing", err)
	}
}

func snapshotTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			c, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "%s %v %q\n", p, fi.IsDir(), c)
		}
		return nil
	})
	return b.String()
}

// TestFailedBuildKeepsThePreviousRelease: a build that fails half way (the
// EXE step) leaves the previous release byte for byte, and no staging
// directory; a staging directory an interrupted build left is removed and
// reported by the next build.
func TestFailedBuildKeepsThePreviousRelease(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	out := filepath.Join(t.TempDir(), "dist")
	c := testutil.LoadExample(t, "x64")
	if _, _, err := release1(t, execx.OS{}, c, out); err != nil {
		t.Fatal(err)
	}
	prev := snapshot(t, out)
	c.Product.Version = "1.4.3"
	// --clean removes the old files only when the new release is published.
	_, _, err := releaseOpts(t, failing{execx.OS{}, "makensis"}, c, release.Options{OutDir: out, Clean: true})
	if err == nil || !strings.Contains(err.Error(), "makensis failed on purpose") {
		t.Fatalf("err = %v", err)
	}
	sameRelease(t, out, prev)
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("left next to the output directory: %v", s)
	}

	staging := release.StagingDir(out)
	os.MkdirAll(filepath.Join(staging, "sub"), 0o755)
	os.WriteFile(filepath.Join(staging, "example-console-1.4.3-x64.msi"), []byte("half"), 0o644)
	_, progress, err := releaseOpts(t, execx.OS{}, c, release.Options{OutDir: out, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "removed the staging directory of an interrupted build: " + staging; !strings.Contains(strings.Join(progress, "\n"), want) {
		t.Errorf("progress lacks %q:\n%s", want, strings.Join(progress, "\n"))
	}
	if _, ok := snapshot(t, out)["example-console-1.4.3-x64.msi"]; !ok {
		t.Error("the next build did not publish")
	}
}

// failing runs every tool but one, which fails.
type failing struct {
	execx.Runner
	tool string
}

func (f failing) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	if c.Name == f.tool {
		return execx.Result{}, errors.New(f.tool + " failed on purpose")
	}
	return f.Runner.Run(ctx, c)
}

// fakeTools writes shell scripts into a new directory, to put before the
// real tools in PATH.
func fakeTools(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPayloadChangedDuringTheBuild: a payload file rewritten while wixl
// packages it (a fake wixl appends to it, then runs the real one) fails
// the build naming the file; the previous release stays.
func TestPayloadChangedDuringTheBuild(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	wixl, _ := exec.LookPath("wixl")
	c := testutil.LoadExample(t, "x64")
	readme := c.Path("README.txt")
	out := filepath.Join(t.TempDir(), "dist")
	if _, _, err := release1(t, execx.OS{}, c, out); err != nil {
		t.Fatal(err)
	}
	prev := snapshot(t, out)
	bin := fakeTools(t, map[string]string{"wixl": fmt.Sprintf("echo changed >> '%s'\nexec '%s' \"$@\"\n", readme, wixl)})
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	_, _, err := release1(t, execx.OS{}, c, out)
	if err == nil || !strings.Contains(err.Error(), "payload file README.txt ("+readme+") changed during the build") {
		t.Fatalf("err = %v, want the changed payload file named", err)
	}
	sameRelease(t, out, prev)
}

// TestReleaseThroughSymlink: an output directory given as a symbolic link
// gets the release in the directory it points to; the link stays a link.
func TestReleaseThroughSymlink(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	base := t.TempDir()
	target := filepath.Join(base, "releases", "current")
	os.MkdirAll(target, 0o755)
	link := filepath.Join(base, "dist")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	res, _, err := release1(t, execx.OS{}, testutil.LoadExample(t, "x64"), link)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symbolic link (%v)", link, err)
	}
	if _, ok := snapshot(t, target)["manifest.json"]; !ok || filepath.Dir(res.Artifacts[0].Path) != link {
		t.Errorf("release not in %s, or artifacts not named through %s: %v", target, link, res.Artifacts[0].Path)
	}
	if s := siblings(t, target); len(s) != 0 {
		t.Errorf("left next to the target: %v", s)
	}
}

// meddling runs the real tools, but first drops a file of its own into the
// output directory when the build reaches tool.
type meddling struct {
	execx.Runner
	tool, file string
}

func (m meddling) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	if c.Name == m.tool {
		os.WriteFile(m.file, []byte("mine"), 0o644)
	}
	return m.Runner.Run(ctx, c)
}

// TestFileAddedDuringTheBuildIsKept: a file someone puts into the output
// directory while the build runs stays, and the release is published
// beside it.
func TestFileAddedDuringTheBuildIsKept(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	out := filepath.Join(t.TempDir(), "dist")
	c := testutil.LoadExample(t, "x64")
	if _, _, err := release1(t, execx.OS{}, c, out); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(out, "notes.txt")
	c.Product.Version = "1.4.3"
	_, _, err := release1(t, meddling{execx.OS{}, "makensis", notes}, c, out)
	if err == nil || !strings.Contains(err.Error(), "holds files an earlier msiforge build wrote that this release does not have: example-console-1.4.2-x64.exe, example-console-1.4.2-x64.msi") {
		t.Fatalf("err = %v", err)
	}
	c.Product.Version = "1.4.2"
	os.Remove(notes)
	if _, _, err := release1(t, meddling{execx.OS{}, "makensis", notes}, c, out); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Errorf("notes.txt: %q, %v", b, err)
	}
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("left next to the output directory: %v", s)
	}
}

// TestOneLockPerDirectory: the same output directory named through a
// linked parent is locked by a build into its plain name.
func TestOneLockPerDirectory(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "real"), 0o755)
	if err := os.Symlink(filepath.Join(base, "real"), filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	l, err := dirlock.Acquire(filepath.Join(base, "real", "dist"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, _, err = release1(t, &fakeRunner{err: errors.New("must not run")}, testutil.LoadExample(t, "x64"), filepath.Join(base, "link", "dist"))
	var held *dirlock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v, want the lock held", err)
	}
}
