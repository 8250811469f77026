package exe_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/wix"
)

// loadExample loads the example config (with placeholder payload)
// restricted to archs.
func loadExample(t *testing.T, archs ...string) *config.Config {
	t.Helper()
	c := testutil.LoadExample(t, archs...)
	// These tests wrap the MSI themselves: release.Build makes only MSIs.
	off := false
	c.Console.EXE = &off
	return c
}

// console returns the example's console model for arch.
func console(t *testing.T, c *config.Config, arch string) *wix.Console {
	t.Helper()
	m, err := wix.NewConsole(c, arch)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// buildMSI builds the example's MSI for arch with the real wixl.
func buildMSI(t *testing.T, c *config.Config, arch string) packaging.Artifact {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{Archs: []string{arch}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("built %d artifacts, want 1", len(arts))
	}
	return arts[0]
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tempOut(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

func needMakensis(t *testing.T) {
	t.Helper()
	testutil.NeedTool(t, exe.Tools...)
}

func removeFile(path string) error { return os.Remove(path) }
