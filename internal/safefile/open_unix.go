//go:build unix

package safefile

import (
	"errors"
	"os"
	"syscall"
)

// Open opens path for reading. It never blocks: the file is opened with
// O_NONBLOCK, so a FIFO without a writer or a device opens at once; the
// opened descriptor is then checked with fstat, and anything but a regular
// file is closed and refused with a [*NotRegularError]. For a regular file
// O_NONBLOCK is cleared again, so reads behave as usual. Symbolic links
// are followed: a link to a regular file is fine, a link to a FIFO is
// refused as a FIFO.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		// open(2) of a Unix socket fails with ENXIO ("no such device or
		// address"), which says nothing useful: name what the path is.
		// The stat only words the message; nothing was opened.
		if errors.Is(err, syscall.ENXIO) {
			if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
				return nil, &NotRegularError{Path: path, Kind: kindOf(fi.Mode())}
			}
		}
		return nil, err
	}
	if err := checkRegular(f, path); err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) { err = syscall.SetNonblock(int(fd), false) })
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return f, nil
}
