package release_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/uptodate"
)

// recordingRunner runs commands with the real tools and records each
// one, so a test can tell a build that ran wixl or makensis from one that
// only asked the tools their versions.
type recordingRunner struct {
	mu   sync.Mutex
	cmds []execx.Cmd
}

func (r *recordingRunner) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	r.mu.Unlock()
	return execx.OS{}.Run(ctx, c)
}

// builds are the commands that build something: everything but the
// version probes the manifest and the build keys need.
func (r *recordingRunner) builds() []string {
	var out []string
	for _, c := range r.cmds {
		if len(c.Args) == 1 && (c.Args[0] == "--version" || c.Args[0] == "-VERSION" || c.Args[0] == "version") {
			continue
		}
		out = append(out, c.Name+" "+strings.Join(c.Args, " "))
	}
	return out
}

// cacheBuild is one release build of the up-to-date tests.
type cacheBuild struct {
	res      *release.Result
	run      *recordingRunner
	progress []string
}

// upToDate and rebuilt are the artifacts the build reused and built.
func (b cacheBuild) upToDate() []string { return b.lines("up to date: ") }
func (b cacheBuild) rebuilt() []string  { return b.lines("building ") }

func (b cacheBuild) lines(prefix string) []string {
	var out []string
	for _, l := range b.progress {
		if n, ok := strings.CutPrefix(l, prefix); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func releaseInto(t *testing.T, c *config.Config, dir string, opts release.Options) cacheBuild {
	t.Helper()
	b := cacheBuild{run: &recordingRunner{}}
	opts.OutDir = dir
	opts.Progress = func(msg string) { b.progress = append(b.progress, msg) }
	res, err := release.Release(context.Background(), b.run, c, opts, "uptodate-test")
	if err != nil {
		t.Fatalf("build: %v\n%s", err, strings.Join(b.progress, "\n"))
	}
	b.res = res
	return b
}

func sameSnapshot(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files, want %d", what, len(got), len(want))
	}
	for n, w := range want {
		if g, ok := got[n]; !ok {
			t.Errorf("%s: %s is missing", what, n)
		} else if g != w {
			t.Errorf("%s: %s differs from the first build's", what, n)
		}
	}
}

func upSigner(t *testing.T, subject string) release.Signer {
	t.Helper()
	k := testutil.NewDevKey(t, t.TempDir(), subject)
	s, err := sign.LoadPEM(k.CertPath, k.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	return release.NewSigner(s)
}

// x64 artifacts of the example with its VSC packages.
const (
	upMSI = "example-console-1.4.2-x64.msi"
	upEXE = "example-console-1.4.2-x64.exe"
	upRep = "example-console-vsc-representative-1.4.2-x64.msi"
	upCus = "example-console-vsc-customer-1.4.2-x64.msi"
)

var upAll = sorted(upMSI, upEXE, upRep, upCus)

func sorted(s ...string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	if s == nil {
		return []string{}
	}
	return s
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// TestUpToDateSecondBuild builds the signed example twice: the second
// build runs no wixl, msibuild, makensis or go, says "up to date" for
// every artifact and publishes the same bytes (artifacts, manifest.json,
// SHA256SUMS, index.html); --force rebuilds everything, again to the same
// bytes, as signatures here are deterministic (RSA PKCS#1 v1.5, no
// timestamp).
func TestUpToDateSecondBuild(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "go")
	c := testutil.LoadExampleWithVSC(t, "x64")
	opts := release.Options{Signer: upSigner(t, "msiforge up-to-date test"), SignPayload: true}
	dir := filepath.Join(t.TempDir(), "dist")

	first := releaseInto(t, c, dir, opts)
	if got := first.rebuilt(); !slices.Equal(got, upAll) {
		t.Fatalf("first build built %v, want %v", got, upAll)
	}
	want := snapshot(t, dir)
	var m manifest.Manifest
	if err := json.Unmarshal([]byte(want[release.ManifestFile]), &m); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, a := range m.Artifacts {
		if len(a.BuildKey) != 64 || keys[a.BuildKey] {
			t.Errorf("%s: build_key %q: want a SHA-256 of its own", a.File, a.BuildKey)
		}
		keys[a.BuildKey] = true
	}

	second := releaseInto(t, c, dir, opts)
	if got := second.run.builds(); len(got) > 0 {
		t.Errorf("the second build ran %q; want nothing but version probes", got)
	}
	if got := second.upToDate(); !slices.Equal(got, upAll) {
		t.Errorf("second build: up to date %v, want %v", got, upAll)
	}
	if got := second.rebuilt(); len(got) > 0 {
		t.Errorf("second build rebuilt %v", got)
	}
	sameSnapshot(t, "second build", snapshot(t, dir), want)
	for _, a := range second.res.Artifacts {
		if a.Signature == nil || a.Signature.Subject != "CN=msiforge up-to-date test" || a.Signature.Untrusted == "" {
			t.Errorf("%s: reused artifact's signature %+v", a.Path, a.Signature)
		}
	}

	// The same sources checked out elsewhere (another CI workspace):
	// the keys cover the files' bytes, not their paths.
	moved := releaseInto(t, testutil.LoadExampleWithVSC(t, "x64"), dir, opts)
	if got := moved.upToDate(); !slices.Equal(got, upAll) {
		t.Errorf("build from another checkout path: up to date %v, want %v", got, upAll)
	}

	opts.Force = true
	forced := releaseInto(t, c, dir, opts)
	if got := forced.rebuilt(); !slices.Equal(got, upAll) {
		t.Errorf("--force built %v, want %v", got, upAll)
	}
	if len(forced.upToDate()) > 0 {
		t.Errorf("--force reused %v", forced.upToDate())
	}
	if !slices.ContainsFunc(forced.run.builds(), func(s string) bool { return strings.HasPrefix(s, "wixl ") }) {
		t.Error("--force ran no wixl")
	}
	sameSnapshot(t, "--force", snapshot(t, dir), want)
}

// TestUpToDateInputs changes one input kind at a time and checks that
// exactly the targets built from it are rebuilt, and then that a build
// with nothing changed rebuilds nothing.
func TestUpToDateInputs(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "go")
	c := testutil.LoadExampleWithVSC(t, "x64")
	opts := release.Options{Signer: upSigner(t, "msiforge up-to-date test"), SignPayload: true}
	dir := filepath.Join(t.TempDir(), "dist")
	releaseInto(t, c, dir, opts)

	appendByte := func(path string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte{0})
		f.Close()
	}
	for _, step := range []struct {
		name    string
		change  func()
		rebuilt []string
	}{
		{"console payload byte", func() { appendByte(c.Path("build/x64/ExampleConsole.exe")) }, sorted(upMSI, upEXE)},
		{"driver payload byte", func() { appendByte(c.Path("../vsc/driver/vscsample.sys")) }, sorted(upRep, upCus)},
		{"config string of the representative package", func() { c.VSC.Representative.DisplayName = "Remote Support VSC Representative (test)" }, sorted(upRep)},
		{"config string of the console", func() { c.Product.HelpURL = "https://support.example.com/help2" }, sorted(upMSI, upEXE)},
		{"epoch", func() { opts.Epoch = time.Unix(1700000000, 0).UTC() }, upAll},
		{"signing settings", func() {
			s := opts.Signer.(release.Signer)
			s.Settings = release.SigningSettings(sign.KeySource{PageHashes: true})
			opts.Signer = s
		}, upAll},
		{"certificate", func() { opts.Signer = upSigner(t, "msiforge up-to-date test 2") }, upAll},
		{"unsigned", func() { opts.Signer = nil }, upAll},
	} {
		step.change()
		b := releaseInto(t, c, dir, opts)
		if got := b.rebuilt(); !slices.Equal(orEmpty(got), step.rebuilt) {
			t.Errorf("%s: rebuilt %v, want %v", step.name, got, step.rebuilt)
		}
		var reused []string
		for _, n := range upAll {
			if !slices.Contains(step.rebuilt, n) {
				reused = append(reused, n)
			}
		}
		if got := b.upToDate(); !slices.Equal(orEmpty(got), orEmpty(reused)) {
			t.Errorf("%s: up to date %v, want %v", step.name, got, reused)
		}
		if again := releaseInto(t, c, dir, opts); len(again.run.builds()) > 0 {
			t.Errorf("after %s, a build with nothing changed ran %q", step.name, again.run.builds())
		}
	}
}

// TestUpToDateNotReused damages the previous release in ways its
// manifest still vouches for (a missing file, a file re-signed by another
// certificate with the manifest edited to match, a broken signature with
// the manifest edited to match): each such artifact is rebuilt, with a
// line that says why, and its EXE with it. A file changed behind the
// manifest's back is not msiforge's any more: the build refuses to
// overwrite it, reusing nothing.
func TestUpToDateNotReused(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "go")
	c := testutil.LoadExampleWithVSC(t, "x64")
	signer := upSigner(t, "msiforge up-to-date test")
	opts := release.Options{Signer: signer, SignPayload: true}
	dir := filepath.Join(t.TempDir(), "dist")
	releaseInto(t, c, dir, opts)
	want := snapshot(t, dir)

	// relist makes manifest.json list name as it is now.
	relist := func(name string) {
		p := filepath.Join(dir, release.ManifestFile)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		sum, size, err := uptodate.HashFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m["artifacts"].([]any) {
			if a := a.(map[string]any); a["file"] == name {
				a["sha256"], a["size"] = sum, size
			}
		}
		b, _ = json.Marshal(m)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := upSigner(t, "someone else")
	for _, step := range []struct {
		name, file, why string
		damage          func(path string)
		rebuilt         []string
	}{
		{"missing", upRep, "missing", func(p string) { os.Remove(p) }, sorted(upRep)},
		{"re-signed by another certificate", upMSI, "CN=someone else", func(p string) {
			if _, err := other.Sign(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}, sorted(upMSI, upEXE)},
		{"broken signature", upEXE, "signature does not verify", func(p string) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/3] ^= 0xff // inside the signed content
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, sorted(upEXE)},
	} {
		p := filepath.Join(dir, step.file)
		step.damage(p)
		if _, err := os.Stat(p); err == nil {
			relist(step.file)
		}
		b := releaseInto(t, c, dir, opts)
		if got := b.rebuilt(); !slices.Equal(got, step.rebuilt) {
			t.Errorf("%s: rebuilt %v, want %v", step.name, got, step.rebuilt)
		}
		if !slices.ContainsFunc(b.progress, func(l string) bool {
			return strings.HasPrefix(l, "not up to date: "+step.file+" is rebuilt: ") && strings.Contains(l, step.why)
		}) {
			t.Errorf("%s: no line says why %s is rebuilt (%q):\n%s", step.name, step.file, step.why, strings.Join(b.progress, "\n"))
		}
		sameSnapshot(t, step.name, snapshot(t, dir), want)
	}

	// Changed behind the manifest's back: the user's file now.
	p := filepath.Join(dir, upCus)
	if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := &recordingRunner{}
	_, err := release.Release(context.Background(), run, c, release.Options{OutDir: dir, Signer: signer, SignPayload: true}, "uptodate-test")
	if err == nil || !strings.Contains(err.Error(), "which msiforge did not write") {
		t.Fatalf("build over a changed artifact: %v, want a refusal naming it", err)
	}
	if len(run.builds()) > 0 {
		t.Errorf("the refused build ran %q", run.builds())
	}
}

// BenchmarkNoopRebuild measures a no-op rebuild of the whole example
// release (three architectures, console and VSC packages, signed) and
// reports it as a percentage of a full build (--force) of the same
// release: the target is at most 5 %. The payload is the
// placeholder one, so the MSIs are small; scripts/bench-noop.sh measures
// the msiforge binary on the real example payload.
func BenchmarkNoopRebuild(b *testing.B) {
	testutil.NeedTool(b, "wixl", "msibuild", "makensis", "go")
	c := testutil.LoadExampleWithVSC(b)
	k := testutil.NewDevKey(b, b.TempDir(), "msiforge bench")
	s, err := sign.LoadPEM(k.CertPath, k.KeyPath)
	if err != nil {
		b.Fatal(err)
	}
	opts := release.Options{OutDir: filepath.Join(b.TempDir(), "dist"), Signer: release.NewSigner(s), SignPayload: true}
	build := func(force bool) time.Duration {
		o := opts
		o.Force = force
		start := time.Now()
		if _, err := release.Release(context.Background(), execx.OS{}, c, o, "bench"); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	build(false)
	full := build(true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		build(false)
	}
	b.StopTimer()
	noop := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(100*noop.Seconds()/full.Seconds(), "%-of-full")
	b.ReportMetric(full.Seconds(), "full-s")
}

// failingVersion is the real tools, except that `NAME --version` fails as
// a tool that does not know the flag does (exit status 1).
type failingVersion struct {
	recordingRunner
	name string
}

func (r *failingVersion) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	if c.Name == r.name && slices.Contains(c.Args, "--version") {
		return execx.Result{Stderr: []byte("unknown option --version\n")}, &execx.ExitError{Cmd: c, Code: 1, Output: "unknown option --version"}
	}
	return r.recordingRunner.Run(ctx, c)
}

// TestUpToDateUnreadableToolVersion: a tool whose version cannot be read
// would be keyed as "" build after build, whatever version ran; so
// nothing is reused, and a line says why.
func TestUpToDateUnreadableToolVersion(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "go")
	c := testutil.LoadExampleWithVSC(t, "x64")
	opts := release.Options{Signer: upSigner(t, "msiforge up-to-date test"), SignPayload: true}
	dir := filepath.Join(t.TempDir(), "dist")
	releaseInto(t, c, dir, opts)
	for i := range 2 {
		var lines []string
		o := opts
		o.OutDir = dir
		o.Progress = func(msg string) { lines = append(lines, msg) }
		run := &failingVersion{name: "wixl"}
		if _, err := release.Release(context.Background(), run, c, o, "uptodate-test"); err != nil {
			t.Fatalf("build %d: %v", i+2, err)
		}
		b := cacheBuild{progress: lines}
		if got := b.rebuilt(); !slices.Equal(got, upAll) {
			t.Errorf("build %d with wixl's version unreadable rebuilt %v, want %v", i+2, got, upAll)
		}
		if !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "rebuilding everything: wixl's version could not be read")
		}) {
			t.Errorf("build %d: no line says why nothing is reused:\n%s", i+2, strings.Join(lines, "\n"))
		}
	}
}
