//go:build unix

package release

import (
	"os"
	"syscall"
)

// sameDevice reports whether a and b are on one file system (a is not a
// mount point when b is its parent).
func sameDevice(a, b string) bool {
	x, err1 := os.Stat(a)
	y, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return true // let the rename report it
	}
	sx, ok1 := x.Sys().(*syscall.Stat_t)
	sy, ok2 := y.Sys().(*syscall.Stat_t)
	return !ok1 || !ok2 || sx.Dev == sy.Dev
}

// syncDir flushes a directory's entries (the renames) to disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
