// Package hostile is the regression table of hostile inputs, faults and
// interruptions (issue 12): each case runs msiforge in process on a fresh
// copy of the example project and states the exit code, a fragment of the
// message and what the output directory must hold afterwards. Every case of
// this kind found later goes here, in the cases_<area>_test.go file of its
// area.
package hostile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/testutil"
)

// Case is one hostile input.
type Case struct {
	Name string
	// Setup prepares the project in dir (which holds the example config as
	// dir/example/msiforge.yaml, its placeholder payload and the VSC files
	// in dir/vsc; the config's output.dir is dir/out) and returns
	// msiforge's arguments. Paths in them may be relative to dir.
	Setup func(t *testing.T, dir string) []string
	Env   map[string]string // extra environment (getenv only; nothing is exported)
	Code  int               // expected exit status
	// Stderr fragments that must all appear in the error output; Stdout the
	// same for the results.
	Stderr []string
	Stdout []string
	// NotIn: strings that must appear in no output and no file under
	// dir/out (a leaked secret, an expanded variable).
	NotIn []string
	// Out is the expected listing of dir/out after the run (file names,
	// sorted, hidden ones included); nil skips the check, an empty
	// non-nil slice means "absent or empty".
	Out []string
	// Tools lists the external tools the case needs (skipped without them,
	// failed under CI=true).
	Tools []string
	// Timeout, when set, bounds the run: a case that could hang (a FIFO,
	// a device) fails after it instead of hanging the test binary. The
	// context given to msiforge is cancelled then too.
	Timeout time.Duration
}

// Run runs cases as subtests.
func Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			testutil.NeedTool(t, tc.Tools...)
			dir := t.TempDir()
			if err := testutil.WriteExample(filepath.Join(dir, "example")); err != nil {
				t.Fatal(err)
			}
			// The example writes to ../../dist; here the release goes to dir/out.
			Edit(t, dir, "dir: ../../dist", "dir: ../out")
			args := tc.Setup(t, dir)
			getenv := func(k string) string {
				if v, ok := tc.Env[k]; ok {
					return v
				}
				return os.Getenv(k)
			}
			wd, _ := os.Getwd()
			if err := os.Chdir(dir); err != nil {
				t.Fatal(err)
			}
			defer os.Chdir(wd)
			var stdout, stderr bytes.Buffer
			code := runMain(t, tc.Timeout, args, &stdout, &stderr, getenv)
			if code != tc.Code {
				t.Errorf("msiforge %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, tc.Code, &stdout, &stderr)
			}
			for _, f := range tc.Stderr {
				if !strings.Contains(stderr.String(), f) {
					t.Errorf("stderr lacks %q:\n%s", f, &stderr)
				}
			}
			for _, f := range tc.Stdout {
				if !strings.Contains(stdout.String(), f) {
					t.Errorf("stdout lacks %q:\n%s", f, &stdout)
				}
			}
			for _, s := range tc.NotIn {
				if strings.Contains(stdout.String()+stderr.String(), s) {
					t.Errorf("output contains %q", s)
				}
				filepath.Walk(filepath.Join(dir, "out"), func(p string, fi os.FileInfo, err error) error {
					if err == nil && fi.Mode().IsRegular() {
						if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(s)) {
							t.Errorf("%s contains %q", p, s)
						}
					}
					return nil
				})
			}
			if tc.Out != nil {
				got := List(t, filepath.Join(dir, "out"))
				if strings.Join(got, "\n") != strings.Join(tc.Out, "\n") {
					t.Errorf("out/ holds %q, want %q", got, tc.Out)
				}
			}
		})
	}
}

// runMain runs cli.Main, bounded by timeout when it is not zero. After a
// timeout the case fails at once; msiforge's goroutine may stay blocked
// (that is the bug the case found), its output buffers are not read again.
func runMain(t *testing.T, timeout time.Duration, args []string, stdout, stderr *bytes.Buffer, getenv func(string) string) int {
	t.Helper()
	if timeout == 0 {
		return cli.Main(context.Background(), args, stdout, stderr, getenv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, args, &out, &errOut, getenv) }()
	select {
	case code := <-done:
		stdout.Write(out.Bytes())
		stderr.Write(errOut.Bytes())
		if ctx.Err() != nil {
			t.Fatalf("msiforge %s: ran past %v (stopped only by the cancel)\nstderr:\n%s", strings.Join(args, " "), timeout, stderr)
		}
		return code
	case <-time.After(timeout):
		t.Fatalf("msiforge %s: still running after %v", strings.Join(args, " "), timeout)
		return 0
	}
}

// List returns the sorted names in dir (none when it does not exist).
func List(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Edit rewrites dir/example/msiforge.yaml with replace(old) and fails the
// test when old is not found.
func Edit(t *testing.T, dir, old, new string) {
	t.Helper()
	p := filepath.Join(dir, "example", "msiforge.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", p, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}
