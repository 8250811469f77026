//go:build windows

package dirlock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the locked byte lies: far past the holder record, so
// a second build can still read who holds the lock (Windows byte-range
// locks are mandatory: a locked range cannot be read by others).
const lockOffsetHigh = 0x7FFFFFFF

// lockFile takes an exclusive LockFileEx lock without waiting.
func lockFile(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errHeld
	}
	return err
}

func unlockFile(f *os.File) {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

// removeLocked empties the record instead: Windows does not remove a file
// that is open without FILE_SHARE_DELETE, which os.OpenFile does not ask
// for. The empty file is reused by the next build.
func removeLocked(f *os.File, _ string) error { return f.Truncate(0) }
