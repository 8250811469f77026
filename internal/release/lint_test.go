package release_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestBuildLints: build lints every MSI before signing (its warnings reach
// the verbose progress), skips the rules of lint.ignore and records them,
// with their reasons, in manifest.json.
func TestBuildLints(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	c := testutil.LoadExampleWithVSC(t, "x64")
	c.Lint.Ignore = []config.LintIgnore{{Rule: "ICE69", Reason: "the shortcut targets the program file of its feature"}}
	out := filepath.Join(t.TempDir(), "dist")
	var progress []string
	_, err := release.Release(context.Background(), execx.OS{}, c, release.Options{OutDir: out, Verbose: true,
		Progress: func(s string) { progress = append(progress, s) }}, "test")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(progress, "\n")
	// (The VSC packages' ICE68 warning, VscSetPnputil, went with that
	// action: their driver actions are deferred type 2 now.)
	for _, want := range []string{"lint: MSF001 warning: Component.C_ExampleConsole.exe_007D4B1B"} {
		if !strings.Contains(all, want) {
			t.Errorf("progress lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "ICE69") {
		t.Errorf("lint.ignore ICE69 not applied:\n%s", all)
	}
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if want := []manifest.LintIgnore{{Rule: "ICE69", Reason: "the shortcut targets the program file of its feature"}}; !slices.Equal(m.LintIgnored, want) {
		t.Errorf("manifest lint_ignored = %v, want %v", m.LintIgnored, want)
	}
}
