package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/plan"
)

// Exit statuses. Scripts rely on them; each one is pinned by a .ct transcript.
const (
	ExitOK          = 0 // success
	ExitError       = 1 // any failure not listed below
	ExitUsage       = 2 // bad flags, arguments or unknown command
	ExitFindings    = 3 // a check (verify, matrix, lint) found problems
	ExitToolMissing = 4 // a required external tool is not installed
	// A run stopped by SIGINT or SIGTERM exits 128 plus the signal number,
	// as a shell reports a process killed by it: 130 and 143.
	ExitInterrupted = 130
	ExitTerminated  = 143
)

// Interrupted is the cancellation cause main gives the context when SIGINT
// or SIGTERM arrives (context.WithCancelCause). [Main] recognises it once
// the command has stopped and cleaned up, and returns the signal's exit
// status.
type Interrupted struct{ Signal os.Signal }

func (e *Interrupted) Error() string { return "interrupted by " + signalName(e.Signal) }

// ExitCode is 128 plus the signal number: 130 for SIGINT, 143 for SIGTERM.
func (e *Interrupted) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok && s > 0 && s < 128 {
		return 128 + int(s)
	}
	return ExitInterrupted
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case nil:
		return "a signal"
	}
	return fmt.Sprint(s)
}

// usageError marks a command-line mistake (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// ErrFindings is returned (wrapped) by commands whose checks found problems;
// the problems themselves have already been printed.
var ErrFindings = errors.New("checks found problems")

// exitCode maps an error returned by a command to its exit status.
func exitCode(err error) int {
	var ue *usageError
	var tm *execx.ToolMissingError
	var ae *plan.ArchError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.As(err, &ae):
		return ExitUsage
	case errors.Is(err, ErrFindings), errors.Is(err, lint.ErrFindings), errors.Is(err, check.ErrMismatch):
		return ExitFindings
	case errors.As(err, &tm):
		return ExitToolMissing
	case isCobraUsage(err):
		return ExitUsage
	}
	return ExitError
}

// isCobraUsage recognises the errors cobra itself produces for unknown
// commands and flags, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "required flag(s)", "accepts "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
