// Package testutil holds helpers shared by msiforge's tests.
package testutil

import (
	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// NeedTool skips the test when tool is not in PATH, except under CI
// (CI=true), where a missing tool is a failure: CI must install it.
func NeedTool(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := execx.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed; CI must install it (make deps-test)", tool)
			}
			t.Skipf("%s is not installed (make deps-test installs it)", tool)
		}
	}
}

// Unavailable skips t because something the test needs, other than a
// tool in PATH (a pseudo-terminal, say), is not there; under CI=true it
// fails instead, as NeedTool does, so a CI run cannot lose the test.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+"; CI must provide it", args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot returns the repository's root directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ExampleConfig copies the example console config into a temporary
// directory and creates placeholder payload files for it, so tests do not
// depend on `make payload`. It returns the config's path. The VSC files
// the config names as ../vsc/... land next to that directory.
func ExampleConfig(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteExample(dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "msiforge.yaml")
}

// WriteExample writes the example config and placeholder payload files
// into dir, and the VSC placeholders into dir/../vsc.
func WriteExample(dir string) error {
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "examples", "console", "msiforge.yaml")
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	for _, f := range []string{"build/x86/ExampleConsole.exe", "build/x64/ExampleConsole.exe", "build/arm64/ExampleConsole.exe", "README.txt",
		"../vsc/driver/vscsample.inf", "../vsc/driver/vscsample.sys", "../vsc/driver/vscsample.cat",
		"../vsc/build/x86/VscService.exe", "../vsc/build/x64/VscService.exe", "../vsc/build/arm64/VscService.exe"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte("placeholder for "+f+"\n"), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "msiforge.yaml"), data, 0o644)
}

// LoadExample loads the example config (with placeholder payload)
// without its VSC packages, as the console tests want it, restricted to
// archs when any are given.
func LoadExample(t testing.TB, archs ...string) *config.Config {
	t.Helper()
	c := LoadExampleWithVSC(t, archs...)
	c.VSC = nil
	return c
}

// LoadExampleWithVSC loads the whole example config; archs, when given,
// replace both the console's and the VSC packages' architectures.
func LoadExampleWithVSC(t testing.TB, archs ...string) *config.Config {
	t.Helper()
	c, err := config.Load(ExampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(archs) > 0 {
		c.Architectures = archs
		if c.VSC != nil {
			c.VSC.Architectures = archs
		}
	}
	return c
}
