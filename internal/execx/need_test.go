//go:build unix

package execx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNeed: every missing tool is named at once, once, in the order
// given, with its package; errors.As finds a *ToolMissingError in it.
func TestNeed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wixl"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if err := Need("build", "wixl"); err != nil {
		t.Fatalf("wixl is there: %v", err)
	}
	err := Need("build", "wixl", "msibuild", "makensis", "msibuild", "msiinfo", "frobnicate")
	var tm *ToolMissingError
	if !errors.As(err, &tm) || tm.Tool != "msibuild" {
		t.Fatalf("err = %#v, want a *ToolMissingError for msibuild first", err)
	}
	want := "build needs 4 tools that are not in PATH: msibuild (Debian package msitools), makensis (Debian package nsis), msiinfo (Debian package msitools), frobnicate; install them with: apt-get install msitools nsis"
	if err.Error() != want {
		t.Errorf("err = %s\nwant  %s", err, want)
	}
}

type nop struct{}

func (nop) Run(context.Context, Cmd) (Result, error) { return Result{}, nil }

// TestRecorder notes each program once, in the order first run.
func TestRecorder(t *testing.T) {
	r := &Recorder{Runner: nop{}}
	for _, n := range []string{"wixl", "msibuild", "wixl", "makensis", "msibuild"} {
		r.Run(context.Background(), Cmd{Name: n})
	}
	if got := strings.Join(r.Tools(), " "); got != "wixl msibuild makensis" {
		t.Errorf("Tools() = %s", got)
	}
}
