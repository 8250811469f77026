//go:build unix

package packaging_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msiforge/msiforge/packaging"
)

// TestCopyFileFIFO: a payload file replaced by a FIFO after the config was
// validated is refused when it is staged, at once, instead of blocking the
// build on open.
func TestCopyFileFIFO(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "payload.exe")
	if err := syscall.Mkfifo(src, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- packaging.CopyFile(src, filepath.Join(dir, "work", "payload.exe")) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), src+" is a FIFO (named pipe), not a regular file") {
			t.Errorf("CopyFile(FIFO): %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CopyFile(FIFO) still blocked after 10 s")
	}
	if packaging.IsPE(src) {
		t.Error("IsPE(FIFO) = true")
	}
	if _, err := os.Stat(filepath.Join(dir, "work", "payload.exe")); !os.IsNotExist(err) {
		t.Errorf("CopyFile(FIFO) created the destination: %v", err)
	}
}
