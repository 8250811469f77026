//go:build !linux

package release

// exchange has no atomic form here: publish falls back to two renames.
func exchange(a, b string) error { return errUnsupported }

func renameNoReplace(a, b string) error { return errUnsupported }
