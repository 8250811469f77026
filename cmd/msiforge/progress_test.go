//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/testutil"
)

// buildOnPTY runs `msiforge build -j 2` for the x86 and x64 consoles in
// process with its stderr on a pseudo-terminal, under the environment
// env, and returns what the terminal received and the exit status.
// makensis is slowed down (0.5 s), so a live display has a step to show.
func buildOnPTY(t *testing.T, env map[string]string, extra ...string) (string, int) {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	makensis, err := exec.LookPath("makensis")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "makensis"), []byte("#!/bin/sh\nsleep 0.5\nexec "+makensis+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ptmx, tty, err := pty.Open()
	if err != nil {
		testutil.Unavailable(t, "no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() {
		io.Copy(&screen, ptmx) // ends with EIO once tty is closed
		close(read)
	}()
	cfg := testutil.ExampleConfig(t)
	args := append([]string{"build", "-f", cfg, "-o", filepath.Join(t.TempDir(), "dist"), "--arch", "x86,x64", "-j", "2"}, extra...)
	var stdout bytes.Buffer
	code := cli.Main(context.Background(), args, &stdout, tty, func(k string) string { return env[k] })
	tty.Close()
	<-read
	if code == 0 && !strings.Contains(stdout.String(), "example-console-1.4.2-x64.exe") {
		t.Errorf("stdout lacks the artifact list:\n%s", stdout.String())
	}
	return screen.String(), code
}

// TestLiveProgressOnTerminal: on a terminal, build shows a live line per
// running target (its MSI, its step, its elapsed time), redrawn in place
// with escape sequences, and still prints the plain "built" lines above.
func TestLiveProgressOnTerminal(t *testing.T) {
	screen, code := buildOnPTY(t, map[string]string{"TERM": "xterm-256color"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, screen)
	}
	if !strings.Contains(screen, "\x1b[") {
		t.Errorf("no escape sequence: the lines were not redrawn in place:\n%q", screen)
	}
	// A live line: the target, the step it is in, its elapsed time.
	live := regexp.MustCompile(`example-console-1\.4\.2-x(86|64)\.msi +makensis +\d+\.\ds`)
	if !live.MatchString(screen) {
		t.Errorf("no live line showing a target in makensis with its elapsed time:\n%q", screen)
	}
	for _, want := range []string{"msiforge: built example-console-1.4.2-x86.exe", "msiforge: built example-console-1.4.2-x64.exe", "msiforge: wrote "} {
		if !strings.Contains(screen, want) {
			t.Errorf("terminal lacks %q:\n%q", want, screen)
		}
	}
}

// TestPlainProgress: TERM=dumb, NO_COLOR or --json on a terminal get the
// plain lines, no escape sequence.
func TestPlainProgress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		extra []string
	}{
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, nil},
		{"NO_COLOR", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, nil},
		{"--json", map[string]string{"TERM": "xterm-256color"}, []string{"--json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			screen, code := buildOnPTY(t, tc.env, tc.extra...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, screen)
			}
			if strings.Contains(screen, "\x1b") {
				t.Errorf("escape sequences in plain output:\n%q", screen)
			}
			if !strings.Contains(screen, "msiforge: building example-console-1.4.2-x64.msi\r\n") || !strings.Contains(screen, "msiforge: built example-console-1.4.2-x86.exe (x86, ") {
				t.Errorf("plain progress lines missing:\n%s", screen)
			}
		})
	}
}
