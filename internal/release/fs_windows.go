//go:build windows

package release

func sameDevice(a, b string) bool { return true }

// syncDir does nothing: Windows cannot flush a directory handle.
func syncDir(string) error { return nil }
