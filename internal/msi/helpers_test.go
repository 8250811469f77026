package msi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
)

// needTool skips the test when tool is not installed, except in CI
// (CI=true), where a missing tool must fail the run rather than hide it.
func needTool(t testing.TB, tool string) {
	t.Helper()
	if _, err := execx.LookPath(tool); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// run runs a tool in dir with TZ=UTC (msiinfo prints times in local time)
// and returns its stdout.
func run(t testing.TB, dir, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := execx.OS{}.Run(ctx, execx.Cmd{Name: name, Args: args, Dir: dir, Env: []string{"TZ=UTC", "LC_ALL=C"}})
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return res.Stdout
}

// buildMSI writes wxs and the payload files into a new temporary
// directory and compiles them with wixl. It returns the MSI's path.
func buildMSI(t testing.TB, wxs string, files map[string][]byte, wixlArgs ...string) string {
	t.Helper()
	needTool(t, "wixl")
	path, err := compile(t.TempDir(), wxs, files, wixlArgs...)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// buildMSIWarn is buildMSI for sources that make wixl print warnings; it
// returns them instead of failing.
func buildMSIWarn(t testing.TB, wxs string, files map[string][]byte, wixlArgs ...string) (path, stderr string) {
	t.Helper()
	needTool(t, "wixl")
	path, err := compile(t.TempDir(), wxs, files, wixlArgs...)
	var w *warnings
	if errors.As(err, &w) {
		return path, w.stderr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path, ""
}

// warnings is what compile returns when wixl built the MSI but printed
// something.
type warnings struct{ stderr string }

func (w *warnings) Error() string { return "wixl warned:\n" + w.stderr }

// Packages that several tests read are built once per test binary.
var (
	cacheMu  sync.Mutex
	cacheDir string
	cache    = map[string]*cached{}
)

type cached struct {
	once sync.Once
	path string
	err  error
}

// TestMain removes the shared build directory after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// cachedMSI is buildMSI for a package built at most once per run, under
// the given key.
func cachedMSI(t testing.TB, key, wxs string, files map[string][]byte, wixlArgs ...string) string {
	t.Helper()
	needTool(t, "wixl")
	cacheMu.Lock()
	if cacheDir == "" {
		d, err := os.MkdirTemp("", "msitest")
		if err != nil {
			cacheMu.Unlock()
			t.Fatal(err)
		}
		cacheDir = d
	}
	c, ok := cache[key]
	if !ok {
		c = &cached{}
		cache[key] = c
	}
	dir := filepath.Join(cacheDir, key)
	cacheMu.Unlock()
	c.once.Do(func() {
		if c.err = os.Mkdir(dir, 0o755); c.err == nil {
			c.path, c.err = compile(dir, wxs, files, wixlArgs...)
		}
	})
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.path
}

// compile runs wixl in dir.
func compile(dir, wxs string, files map[string][]byte, wixlArgs ...string) (string, error) {
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pkg.wxs"), []byte(wxs), 0o644); err != nil {
		return "", err
	}
	args := append([]string{"-o", "pkg.msi"}, wixlArgs...)
	args = append(args, "pkg.wxs")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := execx.OS{}.Run(ctx, execx.Cmd{Name: "wixl", Args: args, Dir: dir})
	if err != nil {
		return "", fmt.Errorf("wixl: %w", err)
	}
	// wixl reports ignored attributes only as warnings; a clean build is
	// silent, so any output means the source does not say what we think.
	path := filepath.Join(dir, "pkg.msi")
	if len(res.Stderr) > 0 {
		return path, &warnings{string(res.Stderr)}
	}
	return path, nil
}

// isReaderError reports whether err is one of the package's documented
// error kinds.
func isReaderError(err error) bool {
	return errors.Is(err, ErrNotMSI) || errors.Is(err, ErrCorrupt)
}
