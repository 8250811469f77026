//go:build !windows

package main

// run is Windows-only; elsewhere the command only exists so its pure
// functions can be tested.
func run([]string) int {
	logf("runs on Windows only")
	return 1
}
