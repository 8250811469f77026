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
