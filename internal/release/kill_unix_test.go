//go:build unix

package release_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/dirlock"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestKilledAndConcurrentBuilds runs the built msiforge binary with a slow
// fake makensis: while it runs, a second build into the same directory
// fails at once naming it; then it is killed with SIGKILL in the middle of
// the build. The previous release is intact, only the staging directory
// (and the lock file's stale record) is new, and the next build removes
// the staging directory and says so.
func TestKilledAndConcurrentBuilds(t *testing.T) {
	testutil.NeedTool(t, "go", "wixl", "msibuild", "msiinfo", "makensis")
	bin := filepath.Join(t.TempDir(), "msiforge")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/msiforge/msiforge/cmd/msiforge").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cfg := filepath.Join(t.TempDir(), "example")
	if err := testutil.WriteExample(cfg); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	msiforge := func(path string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"build", "-f", filepath.Join(cfg, "msiforge.yaml"), "-o", out, "--arch", "x64"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	if b, err := msiforge(os.Getenv("PATH")).CombinedOutput(); err != nil {
		t.Fatalf("first build: %v\n%s", err, b)
	}
	prev := snapshot(t, out)

	marker := filepath.Join(t.TempDir(), "makensis-started")
	fake := fakeTools(t, map[string]string{"makensis": fmt.Sprintf("case \"$1\" in -VERSION) echo v3.09; exit 0;; esac\ntouch '%s'\nsleep 60\n", marker)})
	slow := msiforge(fake + string(os.PathListSeparator) + os.Getenv("PATH"))
	var stderr bytes.Buffer
	slow.Stderr = &stderr
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-slow.Process.Pid, syscall.SIGKILL)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow build never reached makensis:\n%s", &stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A second build while the first runs.
	second := msiforge(os.Getenv("PATH"))
	start := time.Now()
	b, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("second build: err %v, want exit 1\n%s", err, b)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("is locked by another msiforge build (PID %d on host %s, since ", slow.Process.Pid, host); !strings.Contains(string(b), want) {
		t.Errorf("second build says\n%s\nwant %q", b, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second build took %s to fail; want at once", d)
	}

	// kill -9 in the middle of the build (the MSI is staged, the EXE not).
	syscall.Kill(-slow.Process.Pid, syscall.SIGKILL)
	slow.Wait()
	sameRelease(t, out, prev)
	staging := release.StagingDir(out)
	left := siblings(t, out)
	if strings.Join(left, " ") != strings.Join([]string{filepath.Base(dirlock.Path(out)), filepath.Base(staging)}, " ") {
		t.Errorf("after kill -9, next to the output directory: %v; want only the lock file and the staging directory", left)
	}

	next := msiforge(os.Getenv("PATH"))
	var nextErr bytes.Buffer
	next.Stderr = &nextErr
	if err := next.Run(); err != nil {
		t.Fatalf("next build: %v\n%s", err, &nextErr)
	}
	if want := "msiforge: removed the staging directory of an interrupted build: " + staging; !strings.Contains(nextErr.String(), want) {
		t.Errorf("next build's stderr lacks %q:\n%s", want, &nextErr)
	}
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("left next to the output directory after the next build: %v", s)
	}
	sc := bufio.NewScanner(strings.NewReader(snapshot(t, out)["SHA256SUMS"]))
	n := 0
	for sc.Scan() {
		n++
	}
	if n != 4 {
		t.Errorf("SHA256SUMS lists %d files, want the 4 of the x64 release", n)
	}
}

// TestTerminatedBuild: SIGTERM in the EXE phase (before: an MSI without
// EXE, manifest or checksums in the output directory) stops the build with
// exit 143 and leaves the previous release and nothing else: no staging
// directory, no lock file.
func TestTerminatedBuild(t *testing.T) {
	testutil.NeedTool(t, "go", "wixl", "msibuild", "msiinfo", "makensis")
	bin := filepath.Join(t.TempDir(), "msiforge")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/msiforge/msiforge/cmd/msiforge").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cfg := filepath.Join(t.TempDir(), "example")
	if err := testutil.WriteExample(cfg); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	msiforge := func(path string) *exec.Cmd {
		cmd := exec.Command(bin, "build", "-f", filepath.Join(cfg, "msiforge.yaml"), "-o", out, "--arch", "x64")
		cmd.Env = append(os.Environ(), "PATH="+path)
		return cmd
	}
	if b, err := msiforge(os.Getenv("PATH")).CombinedOutput(); err != nil {
		t.Fatalf("first build: %v\n%s", err, b)
	}
	prev := snapshot(t, out)
	marker := filepath.Join(t.TempDir(), "makensis-started")
	fake := fakeTools(t, map[string]string{"makensis": fmt.Sprintf("case \"$1\" in -VERSION) echo v3.09; exit 0;; esac\ntouch '%s'\nsleep 60\n", marker)})
	slow := msiforge(fake + string(os.PathListSeparator) + os.Getenv("PATH"))
	var stderr bytes.Buffer
	slow.Stderr = &stderr
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	defer slow.Process.Kill()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow build never reached makensis:\n%s", &stderr)
		}
	}
	slow.Process.Signal(syscall.SIGTERM)
	err := slow.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 {
		t.Errorf("SIGTERM: err %v, want exit 143\n%s", err, &stderr)
	}
	sameRelease(t, out, prev)
	if s := siblings(t, out); len(s) != 0 {
		t.Errorf("after SIGTERM, next to the output directory: %v", s)
	}
}
