// Package vschelper builds msiforge-vschelper.exe, the Windows program the
// VSC driver packages run instead of pnputil itself (its source and why:
// cmd/logic.go). No binary is committed: the source is embedded in
// msiforge, so a user who installed msiforge with `go install` builds the
// helper the same way, with the Go toolchain at packaging time. It imports
// only the standard library, so the build needs no module download.
package vschelper

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msiforge/msiforge/internal/execx"
)

//go:embed cmd/logic.go cmd/main_windows.go
var src embed.FS

// Name is the helper's file name in the packages.
const Name = "VscHelper.exe"

// goarch maps msiforge's architectures to GOARCH.
var goarch = map[string]string{"x86": "386", "x64": "amd64", "arm64": "arm64"}

// Tools are the programs Build runs, for the build's preflight: Go
// cross-compiles the helper from the embedded source.
var Tools = []string{"go"}

// Build cross-compiles the helper for arch into dir/Name and returns its
// path. Without Go in PATH it returns a *execx.ToolMissingError wrapped in
// an error saying why Go is needed.
func Build(ctx context.Context, run execx.Runner, arch, dir string) (string, error) {
	ga, ok := goarch[arch]
	if !ok {
		return "", fmt.Errorf("vsc helper: architecture %q is not one of x86, x64, arm64", arch)
	}
	top, err := os.MkdirTemp("", "msiforge-vschelper-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(top)
	// go build's own work directory goes in top too (GOTMPDIR): a build
	// killed when another target failed or the user interrupted (build -j
	// runs the helper's build beside other targets) cannot clean it up
	// itself, and it must not be left in TMPDIR.
	gotmp, mod := filepath.Join(top, "tmp"), filepath.Join(top, "src")
	for _, d := range []string{gotmp, mod} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", err
		}
	}
	files := map[string][]byte{"go.mod": []byte("module msiforge-vschelper\n\ngo 1.21\n")}
	for _, n := range []string{"logic.go", "main_windows.go"} {
		if files[n], err = src.ReadFile("cmd/" + n); err != nil {
			return "", err
		}
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(mod, n), b, 0o644); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, arch, Name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Reproducible: no paths (-trimpath), no build id, no VCS stamp.
	_, err = run.Run(ctx, execx.Cmd{
		Name: "go",
		Args: []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, "."},
		Dir:  mod,
		Env:  []string{"GOTMPDIR=" + gotmp, "GOOS=windows", "GOARCH=" + ga, "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local", "GO111MODULE=on"},
	})
	var missing *execx.ToolMissingError
	if errors.As(err, &missing) {
		return "", fmt.Errorf("vsc helper: the VSC packages run %s, built from source with Go at packaging time; install Go (https://go.dev/dl): %w", Name, err)
	}
	if err != nil {
		return "", fmt.Errorf("vsc helper: build %s for %s: %w", Name, arch, err)
	}
	return out, nil
}
