//go:build windows

package safefile

import "os"

// Open opens path for reading and refuses anything but a regular file
// (a directory, a named pipe, a device such as CON or NUL) with a
// [*NotRegularError]. The check is made on the opened handle, not on the
// path beforehand.
func Open(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(f, path); err != nil {
		return nil, err
	}
	return f, nil
}
