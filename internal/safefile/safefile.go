// Package safefile opens the files a user names (configs, keys, password
// files, payload files, MSIs and EXEs) so that msiforge never blocks on
// them and never reads without bound.
//
// [Open] opens without blocking and then checks the opened descriptor: a
// FIFO, a device, a directory or a socket is refused with a message that
// names the path and what it is. Checking the descriptor after opening, not
// the path before, leaves no window in which the path can be swapped (a
// stat-then-open check is a race). [ReadFile] adds a size cap for the small
// files (configs, keys, passwords) that are read whole into memory.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Caps for the small files msiforge reads whole. Each is far above what a
// real file of its kind holds and far below what could hurt the process.
const (
	ConfigLimit   = 1 << 20  // -f msiforge.yaml
	KeyLimit      = 1 << 20  // PEM certificate chains and keys, PKCS#12 files
	RootsLimit    = 16 << 20 // verify --roots: a CA bundle holds a few hundred certificates
	PasswordLimit = 64 << 10 // --password-file
)

// NotRegularError reports a path that is not a regular file.
type NotRegularError struct {
	Path string
	Kind string // "a FIFO (named pipe)", "a character device", "a directory", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError reports a file larger than the cap it is read through.
type TooLargeError struct {
	Path  string
	Size  int64 // the size seen; at least Limit+1
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the limit for this kind of file", e.Path, FormatSize(e.Limit))
}

// ReadFile reads the regular file at path whole, refusing it when it holds
// more than limit bytes. The size is checked before reading and the read
// itself stops after limit+1 bytes, so a file that grows meanwhile is
// refused too, never read without bound.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(b)), Limit: limit}
	}
	return b, nil
}

// kindOf names what a non-regular file mode is, for [NotRegularError].
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file (mode " + m.String() + ")"
}

// checkRegular closes f and returns a [NotRegularError] unless f (already
// open) is a regular file.
func checkRegular(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return &NotRegularError{Path: path, Kind: kindOf(fi.Mode())}
	}
	return nil
}

// FormatSize writes n bytes the way the limits are stated: "1 MiB" for a
// whole number of MiB or KiB, bytes otherwise.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// IsNotRegular reports whether err is (or wraps) a [NotRegularError].
func IsNotRegular(err error) bool {
	var nr *NotRegularError
	return errors.As(err, &nr)
}
