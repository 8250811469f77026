//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/testutil"
)

// buildBinary compiles msiforge into a temporary directory: signals are
// delivered to a process, so this test needs the real binary, not
// cli.Main in process.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "msiforge")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// slowTool is a fake tool that ignores SIGTERM and SIGINT, starts a child
// that would outlive it, records both PIDs in $MSIFORGE_TEST_PIDS and
// waits: only a kill of the whole process group stops it.
const slowTool = `#!/bin/sh
trap '' TERM INT
sleep 60 &
echo "$$ $!" > "$MSIFORGE_TEST_PIDS.tmp"
mv "$MSIFORGE_TEST_PIDS.tmp" "$MSIFORGE_TEST_PIDS"
wait
`

// TestSignal: SIGTERM or SIGINT while wixl (or makensis) runs stops the
// build within 2 s with 143 or 130, kills the tool and its children, and
// leaves no work directory, temporary file or partial artifact. Before,
// the signal only cancelled the context: the tool's children survived,
// and the exit status was 1.
func TestSignal(t *testing.T) {
	bin := buildBinary(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
		tool string // the fake; the build's other tools are the real ones
	}{
		{"SIGTERM during wixl", syscall.SIGTERM, 143, "wixl"},
		{"SIGINT during wixl", syscall.SIGINT, 130, "wixl"},
		{"SIGTERM during makensis", syscall.SIGTERM, 143, "makensis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tool == "makensis" {
				// The real wixl and msitools build the MSI the EXE wraps.
				testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
			}
			dir := t.TempDir()
			if err := testutil.WriteExample(filepath.Join(dir, "example")); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "example", "msiforge.yaml")
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfg, bytes.Replace(b, []byte("dir: ../../dist"), []byte("dir: ../out"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			fakebin := filepath.Join(dir, "fakebin")
			if err := os.MkdirAll(fakebin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(fakebin, tc.tool), []byte(slowTool), 0o755); err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, "tmp")
			if err := os.Mkdir(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			pids := filepath.Join(dir, "pids")
			cmd := exec.Command(bin, "build", "-f", cfg, "--arch", "x64")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"TMPDIR="+tmp,
				"MSIFORGE_TEST_PIDS="+pids)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var fields []string
			deadline := time.Now().Add(60 * time.Second)
			for fields == nil {
				select {
				case err := <-exited:
					t.Fatalf("msiforge exited before %s started: %v\n%s", tc.tool, err, &stderr)
				case <-time.After(20 * time.Millisecond):
				}
				if b, err := os.ReadFile(pids); err == nil {
					fields = strings.Fields(string(b))
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("%s did not start within 60 s\n%s", tc.tool, &stderr)
				}
			}
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				took := time.Since(start)
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
					t.Errorf("exit: %v, want status %d\n%s", err, tc.code, &stderr)
				}
				if took > 2*time.Second {
					t.Errorf("msiforge took %v to stop, want under 2 s", took)
				}
				t.Logf("stopped in %v", took)
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("msiforge still running 10 s after %v\n%s", tc.sig, &stderr)
			}
			if want := "msiforge: interrupted by " + strings.Fields(tc.name)[0]; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, &stderr)
			}
			for _, f := range fields {
				pid, _ := strconv.Atoi(f)
				for end := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(end); {
					time.Sleep(20 * time.Millisecond)
				}
				if alive(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("process %d of the fake %s survived msiforge", pid, tc.tool)
				}
			}
			if left := listAll(t, tmp); len(left) > 0 {
				t.Errorf("TMPDIR holds %q", left)
			}
			// The interrupted artifact and its work directory are gone; an
			// MSI completed before makensis was interrupted is the release
			// staging's business, not this test's.
			for _, name := range listAll(t, filepath.Join(dir, "out")) {
				if tc.tool == "wixl" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".exe") {
					t.Errorf("out/ holds %s after the interrupted build", name)
				}
			}
		})
	}
}

// listAll returns every name under root (relative, hidden ones included).
func listAll(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			names = append(names, rel)
		}
		return nil
	})
	return names
}

// alive reports whether pid is a running process; a zombie waiting for
// init to reap it counts as gone.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (not Linux): kill(pid, 0) said it exists
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
