package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCompletion: 'msiforge completion SHELL' prints a script for each
// shell cobra supports, and it completes msiforge.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), []string{"completion", sh}, &out, &errOut, func(string) string { return "" })
		if code != ExitOK || !strings.Contains(out.String(), "msiforge") || out.Len() < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes of script, stderr %q", sh, code, out.Len(), errOut.String())
		}
	}
	// And it lists the architectures for --arch.
	var out bytes.Buffer
	Main(context.Background(), []string{"__complete", "build", "--arch", ""}, &out, &bytes.Buffer{}, func(string) string { return "" })
	if !strings.Contains(out.String(), "x64\n") || !strings.Contains(out.String(), "arm64\n") {
		t.Errorf("--arch completion:\n%s", out.String())
	}
}
