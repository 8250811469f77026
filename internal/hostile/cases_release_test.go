package hostile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/dirlock"
)

// x64Release is what a build of the example for x64 publishes.
var x64Release = []string{
	"SHA256SUMS",
	"example-console-1.4.2-x64.exe", "example-console-1.4.2-x64.msi",
	"example-console-vsc-customer-1.4.2-x64.msi", "example-console-vsc-representative-1.4.2-x64.msi",
	"index.html", "manifest.json",
}

var buildTools = []string{"wixl", "msibuild", "msiinfo", "makensis"}

// TestRelease: interrupted, concurrent and misdirected builds (issue 12,
// "All-or-nothing releases"; issue 15, "An honest dist/").
func TestRelease(t *testing.T) {
	build := []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
	Run(t, []Case{
		{
			Name: "output directory msiforge did not write",
			Setup: func(t *testing.T, dir string) []string {
				os.MkdirAll(filepath.Join(dir, "out"), 0o755)
				os.WriteFile(filepath.Join(dir, "out", "notes.txt"), []byte("mine"), 0o644)
				return build
			},
			// Files msiforge did not write stay beside the release.
			Code:  0,
			Out:   append(append([]string(nil), x64Release...), "notes.txt"),
			Tools: buildTools,
		},
		{
			Name: "a file msiforge did not write where an artifact goes",
			Setup: func(t *testing.T, dir string) []string {
				os.MkdirAll(filepath.Join(dir, "out"), 0o755)
				os.WriteFile(filepath.Join(dir, "out", "example-console-1.4.2-x64.msi"), []byte("mine"), 0o644)
				return build
			},
			Code:   1,
			Stderr: []string{"holds example-console-1.4.2-x64.msi, which msiforge did not write", "msiforge never touches such files"},
			Out:    []string{"example-console-1.4.2-x64.msi"},
			Tools:  buildTools,
		},
		{
			Name: "staging directory of a killed build",
			Setup: func(t *testing.T, dir string) []string {
				staging := filepath.Join(dir, ".out.msiforge-staging")
				os.MkdirAll(staging, 0o755)
				os.WriteFile(filepath.Join(staging, "example-console-1.4.2-x64.msi"), []byte("half written"), 0o644)
				return build
			},
			Code:   0,
			Stderr: []string{"msiforge: removed the staging directory of an interrupted build: ", ".out.msiforge-staging"},
			Out:    x64Release,
			Tools:  buildTools,
		},
		{
			Name: "output directory locked by another build",
			Setup: func(t *testing.T, dir string) []string {
				l, err := dirlock.Acquire(filepath.Join(dir, "out"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Release() })
				return build
			},
			Code:   1,
			Stderr: []string{fmt.Sprintf("is locked by another msiforge build (PID %d on host ", os.Getpid()), ", since "},
			Out:    []string{},
			Tools:  buildTools, // the preflight comes first
		},
		{
			// Before: the second product's files were left beside the first's
			// while SHA256SUMS and manifest.json listed only the second.
			// Now they are refused, named, and nothing changes...
			Name: "stale artifacts of another product name",
			Setup: func(t *testing.T, dir string) []string {
				firstBuild(t, dir)
				Edit(t, dir, "name: example-console", "name: renamed")
				return build
			},
			Code:   1,
			Stderr: []string{"holds files an earlier msiforge build wrote that this release does not have: example-console-1.4.2-x64.exe, example-console-1.4.2-x64.msi, ", "--clean"},
			Out:    x64Release,
			Tools:  buildTools,
		},
		{
			// ...unless --clean removes them.
			Name: "stale artifacts of another product name, --clean",
			Setup: func(t *testing.T, dir string) []string {
				firstBuild(t, dir)
				Edit(t, dir, "name: example-console", "name: renamed")
				return append(build, "--clean")
			},
			Code: 0,
			Out: []string{
				"SHA256SUMS", "index.html", "manifest.json",
				"renamed-1.4.2-x64.exe", "renamed-1.4.2-x64.msi",
				"renamed-vsc-customer-1.4.2-x64.msi", "renamed-vsc-representative-1.4.2-x64.msi",
			},
			Tools: buildTools,
		},
		{
			// Before: exit 0 and an MSI whose File.FileName was a bad string
			// reference (the read-back now fails it, or the config check
			// refuses the name earlier).
			Name: "payload name outside the code page",
			Setup: func(t *testing.T, dir string) []string {
				os.WriteFile(filepath.Join(dir, "example", "Файл.txt"), []byte("x"), 0o644)
				Edit(t, dir, "x64:   [build/x64/ExampleConsole.exe, README.txt]", "x64:   [build/x64/ExampleConsole.exe, README.txt, Файл.txt]")
				return build
			},
			Code:  1,
			Out:   []string{},
			Tools: buildTools,
		},
	})
}

// firstBuild publishes the example's x64 release into dir/out.
func firstBuild(t *testing.T, dir string) {
	t.Helper()
	var out, errs bytes.Buffer
	cfg := filepath.Join(dir, "example", "msiforge.yaml")
	if code := cli.Main(context.Background(), []string{"build", "-f", cfg, "--arch", "x64"}, &out, &errs, os.Getenv); code != 0 {
		t.Fatalf("first build: exit %d\n%s", code, &errs)
	}
}
