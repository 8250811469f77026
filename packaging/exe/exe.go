// Package exe wraps a built console MSI in an NSIS EXE, one per
// architecture, for users who expect a setup.exe with /S.
//
// The EXE stores the MSI as-is (not recompressed: its cabinet already is)
// and runs msiexec on it: /S gives /qn, otherwise /qb; every PROPERTY=VALUE
// argument is passed on as PROPERTY="VALUE"; /D=DIR (last, unquoted) becomes
// INSTALLDIR; /L=FILE writes a verbose log; /? shows the usage; the exit
// code is msiexec's. The MSI is extracted into a cache folder that lasts as
// long as the product (wix.SetupCache: under the user's local app data, or
// under ProgramData with ALLUSERS=1) and msiexec runs on that copy, so
// Windows registers it as the install source a repair reads the cabinet
// from; a failed install removes the copy again. The EXE runs as the invoking user (the console MSI is
// per-user by default); with ALLUSERS=1 and no elevation it stops with exit
// code 740 (ERROR_ELEVATION_REQUIRED) and a message, instead of re-launching
// itself elevated. templates/nsis/console.nsi.tmpl documents the rest.
//
// Stubs: x86 gets the x86-unicode stub, x64 the amd64-unicode stub. NSIS has
// no ARM64 stub, so arm64 gets the x86 one, which runs under the x86
// emulation of ARM64 Windows; the MSI itself installs natively.
//
// makensis runs through execx with warnings as errors and absolute paths,
// and the embedded MSI's time is pinned, so the same MSI always gives the
// same EXE bytes.
package exe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/templates"
	"github.com/msiforge/msiforge/wix"
)

// Tools are the external programs Build needs.
var Tools = []string{"makensis"}

// Template is the NSIS script template of the console EXE.
const Template = "nsis/console.nsi.tmpl"

// stubs maps a console architecture to the NSIS target (stub) of its EXE.
// NSIS 3.08 has no ARM64 stub; the x86 one runs under ARM64 Windows's x86
// emulation, which the amd64 stub would need Windows 11 for.
var stubs = map[string]string{
	"x86":   "x86-unicode",
	"x64":   "amd64-unicode",
	"arm64": "x86-unicode",
}

// Stub returns the NSIS target of the EXE for arch.
func Stub(arch string) (string, error) {
	s, ok := stubs[arch]
	if !ok {
		return "", fmt.Errorf("no NSIS stub for architecture %q", arch)
	}
	return s, nil
}

// Model is what the NSIS template needs.
type Model struct {
	ProductName  string
	Manufacturer string
	Version      string // ProductVersion, major.minor.build
	Arch         string // x86, x64, arm64
	Target       string // NSIS stub: x86-unicode or amd64-unicode
	// FileVersion is Version with a 4th field, as VIProductVersion requires.
	FileVersion     string
	FileDescription string
	Copyright       string
	// CacheFolder (relative to the user's local app data, or to
	// ProgramData with ALLUSERS=1; no trailing backslash) and CacheFile
	// are where the EXE keeps its MSI as the repair source. The MSI's
	// SetupCacheDir names the same folder and removes it at uninstall.
	CacheFolder string
	CacheFile   string
}

// NewModel derives the EXE's model from the console MSI's.
func NewModel(c *wix.Console) (*Model, error) {
	target, err := Stub(c.Arch)
	if err != nil {
		return nil, err
	}
	fv, err := fileVersion(c.Version)
	if err != nil {
		return nil, err
	}
	return &Model{
		ProductName:     c.ProductName,
		Manufacturer:    c.Manufacturer,
		Version:         c.Version,
		Arch:            c.Arch,
		Target:          target,
		FileVersion:     fv,
		FileDescription: c.ProductName + " Setup",
		// No year: the build must not depend on the clock.
		Copyright:   "Copyright © " + c.Manufacturer,
		CacheFolder: strings.TrimSuffix(c.SetupCache().Folder, `\`),
		CacheFile:   c.SetupCache().File,
	}, nil
}

// fileVersion turns major.minor.build into the 4-field a.b.c.0 of a PE
// version resource.
func fileVersion(v string) (string, error) {
	f := strings.Split(v, ".")
	if len(f) < 1 || len(f) > 4 {
		return "", fmt.Errorf("version %q: want major.minor.build", v)
	}
	for _, n := range f {
		if x, err := strconv.ParseUint(n, 10, 16); err != nil || strconv.FormatUint(x, 10) != n {
			return "", fmt.Errorf("version %q: %q is not a number from 0 to 65535", v, n)
		}
	}
	for len(f) < 4 {
		f = append(f, "0")
	}
	return strings.Join(f, "."), nil
}

// Source renders the NSIS script of c's EXE. ts nil means the embedded
// templates.
func Source(ts *render.Templates, c *wix.Console) ([]byte, error) {
	if ts == nil {
		var err error
		if ts, err = render.Parse(templates.FS); err != nil {
			return nil, err
		}
	}
	m, err := NewModel(c)
	if err != nil {
		return nil, err
	}
	return ts.RenderText(Template, m)
}

// Job is one console EXE to build.
type Job struct {
	Model     *wix.Console
	MSI       string            // the built MSI of Model's architecture
	Out       string            // where the EXE goes
	Templates *render.Templates // nil: the embedded templates
	// SourceDate is the time the embedded MSI is stored with (NSIS keeps
	// the file's time). Zero means packaging.DefaultEpoch.
	SourceDate time.Time
	// Signer, when set, signs the EXE (around the already signed MSI) and
	// verifies it before it is written.
	Signer packaging.Signer
	// Step, when set, is told each step as it starts, for a live
	// progress display; may be nil.
	Step func(step string)
}

// Build wraps job.MSI into job.Out. Nothing is written to job.Out unless
// makensis succeeded without a warning.
func Build(ctx context.Context, run execx.Runner, job Job) (packaging.Artifact, error) {
	if job.Model == nil {
		return packaging.Artifact{}, fmt.Errorf("build exe: no model")
	}
	name := filepath.Base(job.Out)
	when := job.SourceDate
	if when.IsZero() {
		when = packaging.DefaultEpoch
	}
	out, err := filepath.Abs(job.Out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	src, err := Source(job.Templates, job.Model)
	if err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", name, err)
	}
	work, err := packaging.WorkDir(out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	defer os.RemoveAll(work)

	// A copy, so pinning its time leaves the caller's MSI alone.
	msi := filepath.Join(work, "package.msi")
	if err := packaging.CopyFile(job.MSI, msi); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: stage msi: %w", name, err)
	}
	if err := os.Chtimes(msi, when, when); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: pin msi time: %w", name, err)
	}
	script := filepath.Join(work, "console.nsi")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		return packaging.Artifact{}, err
	}
	tmp := filepath.Join(work, "out.exe")
	if job.Step != nil {
		job.Step("makensis")
	}
	if err := Compile(ctx, run, script, msi, tmp); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", name, err)
	}
	var sig *packaging.Signature
	if job.Signer != nil {
		if job.Step != nil {
			job.Step("signing EXE")
		}
		if sig, err = job.Signer.Sign(ctx, tmp); err != nil {
			return packaging.Artifact{}, fmt.Errorf("sign %s: %w", name, err)
		}
	}
	size, sum, err := packaging.Commit(tmp, out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	m := job.Model
	return packaging.Artifact{
		Signature: sig,
		Path:      job.Out, Kind: packaging.KindConsoleEXE, Arch: m.Arch, Size: size, SHA256: sum,
		ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version,
	}, nil
}

// Compile runs makensis on script. -WX makes a warning fail with a
// non-zero status; as a clean -V2 build prints nothing, any output left
// fails the build too, like wixl's.
func Compile(ctx context.Context, run execx.Runner, script, msi, out string) error {
	for _, p := range []string{script, msi, out} {
		// A define's value is pasted into the script: '$' would start a
		// variable and '"' end the string.
		if strings.ContainsAny(p, `$"`) || !filepath.IsAbs(p) {
			return fmt.Errorf("makensis: path %q must be absolute and contain no '$' or '\"'", p)
		}
	}
	// makensis's temporary files (TMPDIR) go in the build directory, which
	// goes when the build ends, even when makensis is killed.
	res, err := run.Run(ctx, execx.Cmd{Name: "makensis", Args: MakensisArgs(script, msi, out), Dir: filepath.Dir(script), Env: []string{"TMPDIR=" + filepath.Dir(script)}})
	if err != nil {
		// makensis prints warnings on stdout and only "warning treated as
		// error" on stderr: show both.
		var ee *execx.ExitError
		if errors.As(err, &ee) {
			ee.Output = execx.Tail(string(res.Stdout)+"\n"+string(res.Stderr), 20)
			return fmt.Errorf("makensis failed on %s, the NSIS script 'msiforge render' writes for this package: %w", filepath.Base(script), err)
		}
		return fmt.Errorf("makensis: %w", err)
	}
	if msg := strings.TrimSpace(string(res.Stdout) + string(res.Stderr)); msg != "" {
		return fmt.Errorf("makensis printed warnings, which msiforge treats as errors:\n%s", execx.Tail(msg, 20))
	}
	return nil
}

// MakensisArgs is makensis's argv. Options and defines are processed in
// order and only apply to scripts after them, so they all come first.
// Paths must be absolute: makensis resolves relative ones against the
// script (-NOCD keeps it from changing into the script's directory).
func MakensisArgs(script, msi, out string) []string {
	return []string{
		"-V2", "-WX", "-INPUTCHARSET", "UTF8", "-NOCD",
		"-DMSI=" + msi,
		"-DOUTFILE=" + out,
		script,
	}
}
