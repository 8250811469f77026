package dirlock_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/dirlock"
)

// TestMain doubles as a child process that holds a lock until its stdin
// closes, for TestHeldByAnotherProcess.
func TestMain(m *testing.M) {
	if dir := os.Getenv("DIRLOCK_TEST_HOLD"); dir != "" {
		l, err := dirlock.Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n')
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTwoLockersInOneProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dist")
	a, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The lock file lies next to the directory, not in it.
	if p := dirlock.Path(dir); filepath.Dir(p) != filepath.Dir(dir) || !strings.HasSuffix(p, ".dist.msiforge-lock") {
		t.Errorf("lock file %s is not next to %s", p, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Acquire created %s (err %v)", dir, err)
	}
	_, err = dirlock.Acquire(dir)
	var held *dirlock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second Acquire: err = %v, want a HeldError", err)
	}
	host, _ := os.Hostname()
	if held.Holder.PID != os.Getpid() || held.Holder.Host != host || time.Since(held.Holder.Since) > time.Minute {
		t.Errorf("holder %+v, want PID %d on %s, just now", held.Holder, os.Getpid(), host)
	}
	for _, want := range []string{fmt.Sprintf("PID %d", os.Getpid()), "on host " + host, "since ", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dirlock.Path(dir)); !os.IsNotExist(err) {
		t.Errorf("lock file left after Release (err %v)", err)
	}
	b, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	b.Release()
}

func TestHeldByAnotherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DIRLOCK_TEST_HOLD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("child: %q", line)
	}
	_, err = dirlock.Acquire(dir)
	var held *dirlock.HeldError
	if !errors.As(err, &held) || held.Holder.PID != cmd.Process.Pid {
		t.Fatalf("err = %v, want a HeldError naming PID %d", err, cmd.Process.Pid)
	}
	// kill -9: the kernel drops the lock; the stale record does not block.
	cmd.Process.Kill()
	cmd.Wait()
	stdin.Close()
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
