//go:build !windows

// Command service is a SAMPLE stand-in for the VSC service (see
// main_windows.go); it only does something on Windows.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "SAMPLE VSC service: this program runs only as a Windows service")
	os.Exit(2)
}
