//go:build unix

package dirlock_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/msiforge/msiforge/internal/dirlock"
)

// TestLockFileIsAFIFO: a FIFO planted where the lock file goes is refused
// at once, not opened, written or read.
func TestLockFileIsAFIFO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dist")
	if err := syscall.Mkfifo(dirlock.Path(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := dirlock.Acquire(dir)
	if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("err = %v", err)
	}
	if fi, err := os.Lstat(dirlock.Path(dir)); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}
