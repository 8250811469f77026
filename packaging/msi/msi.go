// Package msi builds the console MSI with wixl: it stages the payload,
// compiles the rendered .wxs, applies the fix-ups wixl needs, reads the
// tables back to prove each fix-up took, and writes the MSI atomically.
package msi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/wix"
)

// Tools are the external programs Build needs.
var Tools = []string{"wixl", "msibuild", "msiinfo"}

// Job is one console MSI to build.
type Job struct {
	Model  *wix.Console
	Source []byte // the rendered .wxs
	Out    string // where the MSI goes
}

// Build compiles job into job.Out. Nothing is written to job.Out unless
// every step, including the read-back checks, succeeded.
func Build(ctx context.Context, run execx.Runner, job Job) (packaging.Artifact, error) {
	m := job.Model
	work, err := packaging.WorkDir(job.Out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	defer os.RemoveAll(work)

	staged := append([]wix.File(nil), m.Files...)
	if m.Icon != nil {
		staged = append(staged, *m.Icon)
	}
	for _, f := range staged {
		if err := packaging.CopyFile(f.Path, filepath.Join(work, filepath.FromSlash(f.Source))); err != nil {
			return packaging.Artifact{}, fmt.Errorf("stage payload: %w", err)
		}
	}
	wxs := filepath.Join(work, "product.wxs")
	if err := os.WriteFile(wxs, job.Source, 0o644); err != nil {
		return packaging.Artifact{}, err
	}
	tmp := filepath.Join(work, "out.msi")
	if err := Compile(ctx, run, work, m.WixlArch, "product.wxs", "out.msi"); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), err)
	}
	if err := ApplyFixes(ctx, run, tmp, ConsoleFixes(m)); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), err)
	}
	size, sum, err := packaging.Commit(tmp, job.Out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	return packaging.Artifact{
		Path: job.Out, Kind: packaging.KindConsoleMSI, Arch: m.Arch, Size: size, SHA256: sum,
		ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version,
	}, nil
}

// Compile runs wixl in dir. wixl reports ignored attributes and
// unimplemented features only as warnings on stderr with exit status 0,
// so any stderr output fails the build.
func Compile(ctx context.Context, run execx.Runner, dir, arch, wxs, out string) error {
	res, err := run.Run(ctx, execx.Cmd{Name: "wixl", Args: WixlArgs(arch, wxs, out), Dir: dir})
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	if msg := strings.TrimSpace(string(res.Stderr)); msg != "" {
		return fmt.Errorf("compile: wixl printed warnings, which msiforge treats as errors:\n%s", execx.Tail(msg, 20))
	}
	return nil
}

// WixlArgs is wixl's argv: arch lower-case (wixl rejects "X64").
func WixlArgs(arch, wxs, out string) []string {
	return []string{"-a", arch, "-o", out, wxs}
}
