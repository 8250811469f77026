//go:build !unix

package execx

import "os/exec"

// killGroupOnCancel leaves exec's default in place: a cancelled context
// kills the program itself. (Windows has no process groups to signal; a
// job object would be needed to reach grandchildren, and msiforge's
// tools run on Linux.)
func killGroupOnCancel(cmd *exec.Cmd) {}
