//go:build unix

package execx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeTool writes an executable shell script named name into a new PATH
// directory and puts that directory first in PATH.
func fakeTool(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// waitFile waits for path to hold a line and returns it.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was not written", path)
	return ""
}

// alive reports whether pid is a running process (a zombie waiting to be
// reaped by init counts as gone).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (not Linux): kill(pid, 0) said it exists
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// TestCancelKillsGroup: cancelling the context stops a tool that ignores
// SIGTERM and its own children (here a background sleep that holds the
// output pipe open) at once; before the process-group kill the sleep
// survived and Run waited for the pipes.
func TestCancelKillsGroup(t *testing.T) {
	dir := fakeTool(t, "faketool", `trap '' TERM INT
sleep 60 &
echo "$$ $!" > "$PIDFILE.tmp"
mv "$PIDFILE.tmp" "$PIDFILE"
wait
`)
	pidfile := filepath.Join(dir, "pids")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := OS{}.Run(ctx, Cmd{Name: "faketool", Env: []string{"PIDFILE=" + pidfile}})
		done <- err
	}()
	fields := strings.Fields(waitFile(t, pidfile))
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of the cancel")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run returned %v after the cancel, want under 1 s", d)
	}
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		deadline := time.Now().Add(2 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d survived the cancel", pid)
		}
	}
}

// TestExitCodes: a tool's exit status comes back as an *ExitError with the
// tail of its stderr; a missing tool as a *ToolMissingError.
func TestExitCodes(t *testing.T) {
	fakeTool(t, "faketool", `echo "bad input" >&2; exit "$CODE"`)
	for _, code := range []int{1, 2, 3, 125} {
		_, err := OS{}.Run(context.Background(), Cmd{Name: "faketool", Env: []string{"CODE=" + strconv.Itoa(code)}})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != code || ee.Output != "bad input" {
			t.Errorf("exit %d: %v", code, err)
		}
	}
	if _, err := (OS{}).Run(context.Background(), Cmd{Name: "faketool", Env: []string{"CODE=0"}}); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	var tm *ToolMissingError
	if _, err := (OS{}).Run(context.Background(), Cmd{Name: "no-such-tool-msiforge"}); !errors.As(err, &tm) {
		t.Errorf("missing tool: %v", err)
	}
}
