//go:build unix

package execx

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killGroupOnCancel starts cmd in a process group of its own and makes a
// cancelled context kill the whole group, not only cmd: the tools run
// helpers (wine starts wineserver, a wrapper script runs the real tool)
// that would otherwise outlive an interrupted build and keep its output
// pipes open. SIGKILL, because the build is being abandoned and a tool
// that ignores or traps SIGTERM must not delay it.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// A negative pid names the process group, whose id is the
		// leader's pid (Setpgid with Pgid 0).
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
