// Package winetest runs Windows Installer for real, under Wine, for tests:
// a throwaway prefix per test, msiexec with its exit code, and registry and
// file look-ups to assert on what an install did.
package winetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
)

// Prefix is a Wine prefix with a persistent wineserver.
type Prefix struct {
	t   testing.TB
	Dir string
	env []string
	run execx.Runner
}

// New creates a fresh prefix (a few seconds) and keeps its wineserver
// running until the test ends, which makes each msiexec take 0.1–0.4 s.
func New(t testing.TB) *Prefix {
	t.Helper()
	return newPrefix(t, false)
}

// NewSettled is New for tests that install services. In a prefix only
// seconds old, Wine 8.0's service manager loses services: msiexec's
// CreateService succeeds and OpenService fails with
// ERROR_SERVICE_DOES_NOT_EXIST a moment later, so StartServices fails
// (measured: always right after `wineboot -i`, never 5 s later). NewSettled
// lets the boot finish (wineserver -w, about 5 s more) before starting the
// persistent server.
func NewSettled(t testing.TB) *Prefix {
	t.Helper()
	return newPrefix(t, true)
}

func newPrefix(t testing.TB, settle bool) *Prefix {
	t.Helper()
	testutil.NeedTool(t, "wine", "wineserver", "wineboot")
	dir := t.TempDir()
	p := &Prefix{
		t:   t,
		Dir: dir,
		// No mono/gecko install prompts; no debug noise.
		env: []string{"WINEPREFIX=" + dir, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY="},
		run: execx.OS{},
	}
	ctx := context.Background()
	server := func() {
		if _, err := p.run.Run(ctx, execx.Cmd{Name: "wineserver", Args: []string{"-p"}, Env: p.env}); err != nil {
			t.Fatalf("start wineserver: %v", err)
		}
	}
	if !settle {
		// The server first: wineboot would start a short-lived one itself.
		server()
	}
	if _, err := p.run.Run(ctx, execx.Cmd{Name: "wineboot", Args: []string{"-i"}, Env: p.env}); err != nil {
		t.Fatalf("create wine prefix: %v", err)
	}
	if settle {
		// Without -p the server exits once the boot's processes are done.
		if _, err := p.run.Run(ctx, execx.Cmd{Name: "wineserver", Args: []string{"-w"}, Env: p.env}); err != nil {
			t.Fatalf("wait for the wine prefix to settle: %v", err)
		}
		server()
	}
	t.Cleanup(func() {
		_, _ = p.run.Run(context.Background(), execx.Cmd{Name: "wineserver", Args: []string{"-k"}, Env: p.env})
		// The server may still hold the prefix for a moment.
		time.Sleep(200 * time.Millisecond)
	})
	return p
}

// Run runs a Windows program in the prefix and returns its exit status.
// Wine passes only the low 8 bits of it: compare with [Code].
func (p *Prefix) Run(args ...string) int {
	p.t.Helper()
	_, err := p.run.Run(context.Background(), execx.Cmd{Name: "wine", Args: args, Env: p.env})
	var ee *execx.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	default:
		p.t.Fatalf("wine %s: %v", strings.Join(args, " "), err)
		return -1
	}
}

// Msiexec runs msiexec with args.
func (p *Prefix) Msiexec(args ...string) int {
	p.t.Helper()
	return p.Run(append([]string{"msiexec"}, args...)...)
}

// Code is what Wine reports for a Windows exit status (the low 8 bits):
// 1603 arrives as 67.
func Code(windows int) int { return windows % 256 }

// RegValue returns the data of value name under key ("HKCU\Software\X"),
// and whether it exists.
func (p *Prefix) RegValue(key, name string) (string, bool) {
	p.t.Helper()
	// Under load a `wine reg query` now and then comes back empty for a
	// value that exists; a value counts as absent only after three tries.
	for try := 0; ; try++ {
		v, ok := p.regValue(key, name)
		if ok || try == 2 {
			return v, ok
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *Prefix) regValue(key, name string) (string, bool) {
	res, err := p.run.Run(context.Background(), execx.Cmd{Name: "wine", Args: []string{"reg", "query", key, "/v", name}, Env: p.env})
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(res.Stdout), "\r", ""), "\n") {
		f := strings.SplitN(strings.TrimSpace(line), "    ", 3)
		if len(f) >= 2 && f[0] == name && strings.HasPrefix(f[1], "REG_") {
			if len(f) == 3 {
				return f[2], true
			}
			return "", true
		}
	}
	return "", false
}

// KeyExists reports whether a registry key exists.
func (p *Prefix) KeyExists(key string) bool {
	p.t.Helper()
	_, err := p.run.Run(context.Background(), execx.Cmd{Name: "wine", Args: []string{"reg", "query", key}, Env: p.env})
	return err == nil
}

// Path maps a Windows path on drive C: to the host file system.
func (p *Prefix) Path(win string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(win, "C:"), "c:")
	return filepath.Join(p.Dir, "drive_c", filepath.FromSlash(strings.ReplaceAll(rest, `\`, "/")))
}

// Exists reports whether a Windows path exists in the prefix.
func (p *Prefix) Exists(win string) bool {
	_, err := os.Stat(p.Path(win))
	return err == nil
}

// Output runs a Windows program in the prefix and returns its standard
// output (CRLF turned into LF) and its exit status, as [Prefix.Run].
func (p *Prefix) Output(args ...string) (string, int) {
	p.t.Helper()
	res, err := p.run.Run(context.Background(), execx.Cmd{Name: "wine", Args: args, Env: p.env})
	out := strings.ReplaceAll(string(res.Stdout), "\r\n", "\n")
	var ee *execx.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee):
		return out, ee.Code
	default:
		p.t.Fatalf("wine %s: %v", strings.Join(args, " "), err)
		return "", -1
	}
}
