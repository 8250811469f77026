//go:build unix

package safefile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f has not returned after d: a regression to a
// blocking open must fail, not hang the test binary.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still blocked after %v", d)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ path, kind string }{
		{fifo, "is a FIFO (named pipe), not a regular file"},
		{link, "is a FIFO (named pipe), not a regular file"},
		{"/dev/zero", "is a character device, not a regular file"},
		{dir, "is a directory, not a regular file"},
		{sock, "is a socket, not a regular file"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			within(t, 5*time.Second, func() {
				f, err := Open(tc.path)
				if err == nil {
					f.Close()
					t.Errorf("Open(%s) succeeded", tc.path)
					return
				}
				var nr *NotRegularError
				if !errors.As(err, &nr) {
					t.Errorf("Open(%s): %v (%T), want a *NotRegularError", tc.path, err, err)
				}
				if want := tc.path + " " + tc.kind; err.Error() != want {
					t.Errorf("Open(%s): %q, want %q", tc.path, err, want)
				}
			})
			within(t, 5*time.Second, func() {
				if _, err := ReadFile(tc.path, 1<<20); !IsNotRegular(err) {
					t.Errorf("ReadFile(%s): %v, want a *NotRegularError", tc.path, err)
				}
			})
		})
	}
}

// A FIFO with a writer would not block a plain open either, but reading it
// would never end: it is refused all the same.
func TestOpenFIFOWithWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // O_RDWR: does not wait for a reader
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	within(t, 5*time.Second, func() {
		if _, err := ReadFile(fifo, 1<<20); !IsNotRegular(err) {
			t.Errorf("ReadFile: %v, want a *NotRegularError", err)
		}
	})
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{p, link} {
		f, err := Open(path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		// O_NONBLOCK is cleared once the file is known to be regular.
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var flags int
		rc.Control(func(fd uintptr) {
			flags, _, _ = fcntl(fd, syscall.F_GETFL, 0)
		})
		if flags&syscall.O_NONBLOCK != 0 {
			t.Errorf("%s: O_NONBLOCK still set after Open", path)
		}
		f.Close()
		b, err := ReadFile(path, 6)
		if err != nil || string(b) != "hello\n" {
			t.Errorf("ReadFile(%s, 6) = %q, %v", path, b, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing): %v, want ErrNotExist", err)
	}
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.yaml")
	// A sparse 8 GiB file: refused from its size, before any byte is read.
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 8<<30); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, func() {
		_, err := ReadFile(p, ConfigLimit)
		var tl *TooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("ReadFile: %v, want a *TooLargeError", err)
		}
		if want := p + " is larger than 1 MiB, the limit for this kind of file"; err.Error() != want {
			t.Errorf("ReadFile: %q, want %q", err, want)
		}
	})
	// One byte over the limit is refused; exactly the limit is fine.
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte(strings.Repeat("x", 11)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(small, 10); err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Errorf("ReadFile(11 bytes, 10): %v", err)
	}
	if b, err := ReadFile(small, 11); err != nil || len(b) != 11 {
		t.Errorf("ReadFile(11 bytes, 11) = %d bytes, %v", len(b), err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 16 << 20: "16 MiB", 10: "10 bytes", 1<<20 + 1: "1048577 bytes"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func fcntl(fd uintptr, cmd, arg int) (int, syscall.Errno, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, uintptr(cmd), uintptr(arg))
	if e != 0 {
		return int(r), e, e
	}
	return int(r), 0, nil
}
