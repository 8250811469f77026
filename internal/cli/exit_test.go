package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/plan"
)

// TestInterruptedExitCode: a context cancelled with an *Interrupted cause
// makes Main return 128+signal and say so, never 0 or 1.
func TestInterruptedExitCode(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
		msg  string
	}{
		{os.Interrupt, 130, "msiforge: interrupted by SIGINT"},
		{syscall.SIGTERM, 143, "msiforge: interrupted by SIGTERM"},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(&Interrupted{Signal: tc.sig})
		var stdout, stderr bytes.Buffer
		// -f a file that does not exist: the command fails, and the
		// signal's status wins over its error.
		code := Main(ctx, []string{"render", "-f", "missing.yaml", "-o", t.TempDir()}, &stdout, &stderr, os.Getenv)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.sig, code, &stderr, tc.code, tc.msg)
		}
	}
	// A plain cancel (no signal) is an ordinary error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := Main(ctx, []string{"render", "-f", "missing.yaml", "-o", t.TempDir()}, new(bytes.Buffer), new(bytes.Buffer), os.Getenv); code != ExitError {
		t.Errorf("plain cancel: exit %d, want %d", code, ExitError)
	}
}

// TestLintFindingsExit3: build's lint gate error (wrapped by msi.Build's
// "build NAME:" prefix) maps to exit status 3, as lint's own findings do.
func TestLintFindingsExit3(t *testing.T) {
	if got := exitCode(fmt.Errorf("build x.msi: %w", lint.ErrFindings)); got != ExitFindings {
		t.Errorf("exit %d, want %d", got, ExitFindings)
	}
}

// TestArchNotInConfigIsUsage: an --arch the config does not build is a
// command-line mistake, exit 2, as an unknown architecture is.
func TestArchNotInConfigIsUsage(t *testing.T) {
	err := fmt.Errorf("render: %w", &plan.ArchError{Arch: "arm64", Known: []string{"x86", "x64"}})
	if got := exitCode(err); got != ExitUsage {
		t.Errorf("exit %d, want %d", got, ExitUsage)
	}
}
