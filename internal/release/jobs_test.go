package release_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

// oneAtATime is a signer that does not say it is safe for concurrent use
// (as a PKCS#11 token, a remote server or a command): it fails the test
// if build -j calls it for two files at once.
type oneAtATime struct {
	t      *testing.T
	s      packaging.Signer
	active atomic.Int32
	calls  atomic.Int32
}

func (o *oneAtATime) Sign(ctx context.Context, path string) (*packaging.Signature, error) {
	if o.active.Add(1) != 1 {
		o.t.Errorf("signing %s while another file is being signed", filepath.Base(path))
	}
	defer o.active.Add(-1)
	o.calls.Add(1)
	time.Sleep(20 * time.Millisecond) // widen the window an overlap would show in
	return o.s.Sign(ctx, path)
}

// Unwrap gives the build the wrapped signer's certificate for its build
// keys, so the manifest is -j 1's.
func (o *oneAtATime) Unwrap() packaging.Signer { return o.s }

// TestJobsSameRelease builds the whole example (consoles with EXEs and the
// VSC packages, three architectures; signed with RSA PKCS#1 v1.5 and no
// timestamp, so signatures are deterministic) with -j 1 and with -j 4:
// the same artifacts in the same order and every file of the release
// directory byte-identical. -j 4 with a signer that is not safe for
// concurrent use never signs two files at once.
func TestJobsSameRelease(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "go")
	cfgPath := testutil.ExampleConfig(t)
	dir := t.TempDir()
	signer, _ := devSigner(t, dir)
	build := func(name string, jobs int, s packaging.Signer) ([]packaging.Artifact, map[string]string) {
		t.Helper()
		c, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		res, err := release.Release(context.Background(), execx.OS{}, c,
			release.Options{OutDir: out, Signer: s, SignPayload: true, Epoch: time.Unix(1700000000, 0), Jobs: jobs}, "test-1.0")
		if err != nil {
			t.Fatal(err)
		}
		return res.Artifacts, snapshot(t, out)
	}
	arts1, files1 := build("j1", 1, signer)
	serial := &oneAtATime{t: t, s: signer}
	for _, tc := range []struct {
		name string
		s    packaging.Signer
	}{{"j4", signer}, {"j4-serial", serial}} {
		arts, files := build(tc.name, 4, tc.s)
		if len(arts) != len(arts1) || len(arts1) != 12 {
			t.Fatalf("%s: %d artifacts, -j 1 %d, want 12", tc.name, len(arts), len(arts1))
		}
		for i := range arts {
			if filepath.Base(arts[i].Path) != filepath.Base(arts1[i].Path) || arts[i].SHA256 != arts1[i].SHA256 {
				t.Errorf("%s: artifact %d is %s %s, -j 1 %s %s", tc.name, i, filepath.Base(arts[i].Path), arts[i].SHA256, filepath.Base(arts1[i].Path), arts1[i].SHA256)
			}
		}
		if strings.Join(names(files), " ") != strings.Join(names(files1), " ") {
			t.Fatalf("%s: release holds %v, -j 1 %v", tc.name, names(files), names(files1))
		}
		for n, b := range files1 {
			if files[n] != b {
				t.Errorf("%s: %s differs from -j 1's", tc.name, n)
			}
		}
	}
	if serial.calls.Load() == 0 {
		t.Error("the serial signer was never called")
	}
}

// gatedRunner runs the real tools, but fails wixl for the source whose
// directory holds a file named fail, and holds every other wixl until the
// failure happened, so the other targets are running when it does.
type gatedRunner struct {
	failed chan struct{}
	ran    atomic.Int32
}

func (g *gatedRunner) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	// The version probe the build keys need (uptodate.go) is not a build.
	if c.Name == "wixl" && !(len(c.Args) == 1 && c.Args[0] == "--version") {
		g.ran.Add(1)
		wxs, err := os.ReadFile(filepath.Join(c.Dir, "product.wxs"))
		if err != nil {
			return execx.Result{}, err // not a wait forever on g.failed
		}
		if strings.Contains(string(wxs), "Arm64") {
			close(g.failed)
			return execx.Result{}, &execx.ExitError{Cmd: c, Code: 1, Output: "arm64 broke"}
		}
		select {
		case <-g.failed:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			return execx.Result{}, err
		}
	}
	return execx.OS{}.Run(ctx, c)
}

// TestJobsFailureCancels: with -j 4, one target's failure cancels the
// others (they were running: each waits for it), the error is that
// target's, as with -j 1, and the output directory is left as it was.
func TestJobsFailureCancels(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	c := testutil.LoadExample(t, "x86", "x64", "arm64")
	out := t.TempDir()
	run := &gatedRunner{failed: make(chan struct{})}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, err = release.Release(context.Background(), run, c, release.Options{OutDir: out, Jobs: 4}, "test")
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the build did not stop after a target failed")
	}
	if err == nil || !strings.Contains(err.Error(), "arm64 broke") || errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the arm64 target's wixl failure", err)
	}
	if n := run.ran.Load(); n != 3 {
		t.Errorf("wixl ran %d times, want 3 (all targets started at once)", n)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output directory holds %v after a failed build", names)
	}
	// No staging directory is left beside it either.
	if _, err := os.Stat(release.StagingDir(out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging directory %s left after a failed build (%v)", release.StagingDir(out), err)
	}
}
