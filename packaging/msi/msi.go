// Package msi builds MSIs with wixl (the console's and the VSC driver
// packages'): it stages the payload, compiles the rendered .wxs, applies
// the fix-ups wixl needs, reads the tables back to prove each fix-up took,
// and writes the MSI atomically.
package msi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/wix"
)

// Tools are the external programs Build runs, which the build's preflight
// checks (release.Tools): wixl compiles the source, msibuild applies the
// fix-ups (the summary information's runs on every package). The tables
// are read back in process (ReadTable), so msiinfo is not among them.
var Tools = []string{"wixl", "msibuild"}

// Job is one MSI to build. A console job gives only Model; other kinds
// (VSC) give Kind, Package, Files and Fixes instead.
type Job struct {
	// Model is the console package; when set, Build derives Kind, Package,
	// Files and Fixes from it (see ConsoleJob).
	Model *wix.Console

	Kind    string      // packaging.Kind*
	Package PackageInfo // identity recorded in the artifact
	Files   []wix.File  // staged into the build directory at their Source
	Fixes   FixesFunc   // the fix-ups applied after wixl, with their checks

	Source []byte // the rendered .wxs
	Out    string // where the MSI goes
	// Epoch pins every time the MSI records: the summary created/saved
	// times and the payload file times in the cabinet.
	Epoch time.Time
	// Signer, when set, signs the payload's PE files before they are
	// packaged (SignPayload) and the finished MSI.
	Signer      packaging.Signer
	SignPayload bool
	// Check, when set, inspects the fixed-up MSI before it is signed and
	// written; an error fails the build (the console's matrix check).
	Check func(ctx context.Context, path string) error
	// Names the config asked for, each of which the read-back must find
	// intact in the package (see ReadBack); Log, when set, receives the
	// rows no name accounts for (a custom template's additions).
	Names []Name
	Log   func(msg string)
	// Step, when set, is told each step as it starts ("wixl", "fix-ups",
	// ...), for a live progress display; may be nil.
	Step func(step string)
}

// PackageInfo is what Build needs to know about the package itself.
type PackageInfo struct {
	Arch        string // x86, x64, arm64
	WixlArch    string // wixl's -a: x86 or x64
	ProductCode string
	UpgradeCode string // {GUID}; also the namespace of the derived PackageCode
	Version     string
	// Codepage is the code page the package's strings are stored in
	// (product.language's); 0 means DefaultCodepage.
	Codepage int
}

// FixesFunc returns a package's fix-ups, given the derived PackageCode and
// the epoch that replace wixl's random code and wall-clock times.
type FixesFunc func(packageCode string, epoch time.Time) []Fix

// ConsoleJob fills in the generic fields of a console job from its Model.
func ConsoleJob(job Job) Job {
	m := job.Model
	job.Kind = packaging.KindConsoleMSI
	job.Package = PackageInfo{Arch: m.Arch, WixlArch: m.WixlArch, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version, Codepage: m.Codepage}
	job.Files = append([]wix.File(nil), m.Files...)
	if m.Icon != nil {
		icon := *m.Icon
		icon.NoSign = true
		job.Files = append(job.Files, icon)
	}
	job.Fixes = func(packageCode string, epoch time.Time) []Fix { return ConsoleFixes(m, packageCode, epoch) }
	job.Names = ConsoleNames(m)
	return job
}

// Build compiles job into job.Out. Nothing is written to job.Out unless
// every step, including the read-back checks, succeeded.
func Build(ctx context.Context, run execx.Runner, job Job) (packaging.Artifact, error) {
	if job.Model != nil {
		job = ConsoleJob(job)
	}
	if job.Fixes == nil || job.Package.WixlArch == "" {
		return packaging.Artifact{}, fmt.Errorf("build %s: job has no model, or no package and fixes", filepath.Base(job.Out))
	}
	m := job.Package
	work, err := packaging.WorkDir(job.Out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	defer os.RemoveAll(work)

	step := func(s string) {
		if job.Step != nil {
			job.Step(s)
		}
	}
	step("staging payload")
	staged := job.Files
	// The PackageCode is derived from everything that makes up the
	// package, so the same inputs give the same MSI and different inputs
	// never share a PackageCode.
	content := sha256.New()
	content.Write(job.Source)
	var payload []*stagedFile
	for _, f := range staged {
		dst := filepath.Join(work, filepath.FromSlash(f.Source))
		sf, err := stage(f.Name, f.Path, dst)
		if err != nil {
			return packaging.Artifact{}, fmt.Errorf("stage payload: %w", err)
		}
		payload = append(payload, sf)
		if job.Signer != nil && job.SignPayload && !f.NoSign && packaging.IsPE(dst) {
			if _, err := job.Signer.Sign(ctx, dst); err != nil {
				return packaging.Artifact{}, fmt.Errorf("sign payload %s: %w", f.Name, err)
			}
		}
		// The cabinet stores file times: pin them.
		if err := os.Chtimes(dst, job.Epoch, job.Epoch); err != nil {
			return packaging.Artifact{}, err
		}
		// One read of the staged copy feeds both the PackageCode's hash
		// and the copy's own (a pass costs 0.5 s on a 200 MB payload).
		if err := sf.packaged(content, f.Source); err != nil {
			return packaging.Artifact{}, err
		}
	}
	packageCode := wix.StableGUID(strings.Trim(m.UpgradeCode, "{}"), "package", hex.EncodeToString(content.Sum(nil)))
	wxs := filepath.Join(work, "product.wxs")
	if err := os.WriteFile(wxs, job.Source, 0o644); err != nil {
		return packaging.Artifact{}, err
	}
	tmp := filepath.Join(work, "out.msi")
	codepage := m.Codepage
	if codepage == 0 {
		codepage = DefaultCodepage
	}
	step("wixl")
	if err := CompileCodepage(ctx, run, work, m.WixlArch, "product.wxs", "out.msi", codepage); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), keepSource(err, job))
	}
	fixes := append([]Fix{FixCodepage(codepage)}, job.Fixes(packageCode, job.Epoch)...)
	step("fix-ups")
	if err := ApplyFixes(ctx, run, tmp, fixes); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), err)
	}
	if job.Check != nil {
		step("checks")
		if err := job.Check(ctx, tmp); err != nil {
			return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), err)
		}
	}
	step("read-back")
	if err := readBack(job, tmp, payload); err != nil {
		return packaging.Artifact{}, fmt.Errorf("build %s: %w", filepath.Base(job.Out), err)
	}
	var sig *packaging.Signature
	if job.Signer != nil {
		step("signing")
		if sig, err = job.Signer.Sign(ctx, tmp); err != nil {
			return packaging.Artifact{}, fmt.Errorf("sign %s: %w", filepath.Base(job.Out), err)
		}
	}
	size, sum, err := packaging.Commit(tmp, job.Out)
	if err != nil {
		return packaging.Artifact{}, err
	}
	return packaging.Artifact{
		Signature: sig,
		Path:      job.Out, Kind: job.Kind, Arch: m.Arch, Size: size, SHA256: sum,
		ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, PackageCode: packageCode, Version: m.Version,
	}, nil
}

// Compile runs wixl in dir, for a package in DefaultCodepage.
func Compile(ctx context.Context, run execx.Runner, dir, arch, wxs, out string) error {
	return CompileCodepage(ctx, run, dir, arch, wxs, out, DefaultCodepage)
}

// CompileCodepage runs wixl in dir, storing the strings in codepage (see
// FixCodepage, which must follow). wixl reports ignored attributes and
// unimplemented features only as warnings on stderr with exit status 0,
// so any stderr output fails the build.
func CompileCodepage(ctx context.Context, run execx.Runner, dir, arch, wxs, out string, codepage int) error {
	env, err := libmsiEnv(codepage)
	if err != nil {
		return err
	}
	// wixl's temporary files (TMPDIR) go in the build directory, which
	// goes when the build ends, even when wixl is killed (build -j stops
	// the other targets when one fails).
	env = append(env, "TMPDIR="+dir)
	res, err := run.Run(ctx, execx.Cmd{Name: "wixl", Args: WixlArgs(arch, wxs, out), Dir: dir, Env: env})
	var ee *execx.ExitError
	if errors.As(err, &ee) {
		how := fmt.Sprintf("exited with status %d", ee.Code)
		if ee.Code < 0 {
			how = "crashed (killed by a signal)"
		}
		return &CompileError{Source: filepath.Join(dir, wxs), How: how, Output: ee.Output}
	}
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	if msg := strings.TrimSpace(string(res.Stderr)); msg != "" {
		return &CompileError{Source: filepath.Join(dir, wxs), How: "printed warnings, which msiforge treats as errors", Output: execx.Tail(msg, 20)}
	}
	return nil
}

// CompileError is a wixl failure. Source is the WiX source wixl read;
// Build copies it to a place that outlives the build (Kept) so the user
// can look at what crashed wixl.
type CompileError struct {
	Source string
	Kept   string // the kept copy of Source; "" when it could not be kept
	How    string // "exited with status 1", "crashed (killed by a signal)", ...
	Output string // wixl's last lines
}

func (e *CompileError) Error() string {
	src := e.Source
	if e.Kept != "" {
		src = e.Kept + " (kept for you; payload paths in it are relative to the build directory, as 'msiforge render' writes them)"
	}
	msg := fmt.Sprintf("compile: wixl %s on the WiX source %s; config values known to break wixl are refused before it runs, so with your own templates (templates.dir, --templates) look there first, and with msiforge's this is a bug: please report it with that file", e.How, src)
	if e.Output != "" {
		msg += "\nwixl's last lines:\n" + e.Output
	}
	return msg
}

// keepSource copies the source of a failed compile out of the build
// directory, which is removed, into a new directory under the system's
// temporary directory, and names it in the error.
func keepSource(err error, job Job) error {
	var ce *CompileError
	if !errors.As(err, &ce) {
		return err
	}
	dir, derr := os.MkdirTemp("", "msiforge-wixl-")
	if derr != nil {
		return err
	}
	kept := filepath.Join(dir, strings.TrimSuffix(filepath.Base(job.Out), filepath.Ext(job.Out))+".wxs")
	if os.WriteFile(kept, job.Source, 0o644) == nil {
		ce.Kept = kept
	}
	return err
}

// WixlArgs is wixl's argv: arch lower-case (wixl rejects "X64").
func WixlArgs(arch, wxs, out string) []string {
	return []string{"-a", arch, "-o", out, wxs}
}
