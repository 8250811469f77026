// Package release runs the whole job for a config: render every target's
// source, build it, and report what was written. The CLI's render and
// build commands are thin wrappers over Render and Release; Release stages
// the whole release, checks it and publishes it all at once (publish.go).
package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/internal/site"
	"github.com/msiforge/msiforge/internal/vschelper"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/packaging/msi"
	"github.com/msiforge/msiforge/packaging/vsc"
	"github.com/msiforge/msiforge/templates"
	"github.com/msiforge/msiforge/wix"
)

// ConsoleTemplate is the template of the console MSI.
const ConsoleTemplate = "msi/console.wxs.tmpl"

// VSCTemplate is the template of the VSC driver packages.
const VSCTemplate = "msi/vsc.wxs.tmpl"

// Options select what to do.
type Options struct {
	Archs  []string // restrict to these architectures; empty means all
	OutDir string   // overrides the config's output.dir when set
	// Signer, when set, signs the payload PEs (if SignPayload) and every
	// artifact, verifying each signature.
	Signer      packaging.Signer
	SignPayload bool
	// Epoch is the time recorded in the artifacts; zero means DefaultEpoch.
	Epoch    time.Time
	Progress func(msg string) // receives one line per step; may be nil
	// Verbose also sends Progress the read-back's listing of rows the
	// config did not ask for (a custom template's additions).
	Verbose bool
	// Verify, when set, checks the built artifacts (in the staging
	// directory) before the manifest is written; an error fails the
	// release and the previous one stays (build --previous).
	Verify func(arts []packaging.Artifact) error
	// Targets, when set, restricts Build to the targets with these keys
	// (plan.Target.Key): a shard's share (build --shard).
	Targets []string
	// Clean removes the files an earlier build wrote into the output
	// directory that this release does not have (build --clean).
	Clean bool
	// Track, when set, follows each target's steps (a live display).
	Track Tracker
	// Jobs is how many targets build at once (build -j); 0 means one per
	// CPU (runtime.NumCPU).
	Jobs int
	// Force rebuilds every target even when the output directory holds
	// it up to date (build --force); build keys are still recorded.
	Force bool

	// keys is the up-to-date check (uptodate.go), which Release and
	// BuildShard set up; nil (Build called alone) builds everything and
	// records no build keys.
	keys *keying

	helpers *helperCache // set by Build
}

func (o Options) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return runtime.NumCPU()
}

func (o Options) verbose(msg string) {
	if o.Verbose {
		o.progress("%s", msg)
	}
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Source is one rendered WiX source.
type Source struct {
	Target plan.Target
	Model  *wix.Console // console targets
	VSC    *wix.VSC     // VSC targets
	Text   []byte       // the .wxs
	NSIS   []byte       // the .nsi of the console's EXE wrapper; nil without one
}

// Sources renders the sources of every target, in memory.
func Sources(c *config.Config, archs []string) ([]Source, error) {
	ts, err := plan.Targets(c, archs)
	if err != nil {
		return nil, err
	}
	tpl, err := Templates(c)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, t := range ts {
		if t.Role != "" {
			m, err := wix.NewVSC(c, t.Role, t.Arch)
			if err != nil {
				return nil, err
			}
			text, err := tpl.Render(VSCTemplate, m)
			if err != nil {
				return nil, err
			}
			out = append(out, Source{Target: t, VSC: m, Text: text})
			continue
		}
		m, err := wix.NewConsole(c, t.Arch)
		if err != nil {
			return nil, err
		}
		text, err := tpl.Render(ConsoleTemplate, m)
		if err != nil {
			return nil, err
		}
		src := Source{Target: t, Model: m, Text: text}
		if t.EXE != "" {
			if src.NSIS, err = exe.Source(tpl, m); err != nil {
				return nil, err
			}
		}
		out = append(out, src)
	}
	return out, nil
}

// Templates parses the embedded templates, replaced by name by the files
// of the config's templates.dir when it has one.
func Templates(c *config.Config) (*render.Templates, error) {
	if c.Templates.Dir == "" {
		return render.Parse(templates.FS)
	}
	dir := c.Path(c.Templates.Dir)
	return render.ParseOverlay(templates.FS, os.DirFS(dir), "template directory "+dir)
}

// Render writes one .wxs per target into dir and returns their paths.
func Render(c *config.Config, dir string, opts Options) ([]string, error) {
	srcs, err := Sources(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var paths []string
	for _, s := range srcs {
		for _, name := range []string{s.Target.Wxs, s.Target.Nsi} {
			text := s.Text
			if name == s.Target.Nsi {
				text = s.NSIS
			}
			if name == "" {
				continue // no EXE for this target
			}
			p := filepath.Join(dir, name)
			if err := packaging.WriteFile(p, text); err != nil {
				return nil, err
			}
			opts.progress("rendered %s", p)
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// Tools returns the external programs building ts runs, each once, in
// the order the build first runs them: only those the plan needs (no
// makensis without an EXE, no Go without a VSC package).
func Tools(ts []plan.Target) []string {
	var out []string
	add := func(tools []string) {
		for _, t := range tools {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	for _, t := range ts {
		if t.Role != "" {
			add(vsc.Tools)
			continue
		}
		add(msi.Tools)
		if t.EXE != "" {
			add(exe.Tools)
		}
	}
	return out
}

// Preflight resolves c's plan for archs and checks that every tool it
// needs is installed, before anything is written: a missing tool is an
// *execx.MissingToolsError naming all of them with their packages.
func Preflight(c *config.Config, archs []string) error {
	ts, err := plan.Targets(c, archs)
	if err != nil {
		return err
	}
	return execx.Need("build", Tools(ts)...)
}

// Build renders and builds every target's artifacts into opts.OutDir (the
// config's output directory when empty), without manifest, checksums or
// page. Release calls it on its staging directory; tests call it on an
// empty directory of their own. On an error nothing half-written is left:
// each artifact is renamed into place only when complete.
//
// Up to opts.Jobs targets build at once (build -j). One target's steps
// (wixl, fix-ups, checks, signing, its EXE) follow in order; the
// artifacts come back in plan order whatever finished first, so the
// result does not depend on Jobs. The first failure cancels the other
// targets; the error reported is the failure of the earliest target in
// plan order, not a cancellation it caused.
func Build(ctx context.Context, run execx.Runner, c *config.Config, opts Options) ([]packaging.Artifact, error) {
	srcs, err := Sources(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	srcs = onlyTargets(srcs, opts.Targets)
	dir := opts.OutDir
	if dir == "" {
		dir = c.OutputDir()
	}
	jobs := min(opts.jobs(), max(len(srcs), 1))
	var ordered *orderedLog
	if jobs > 1 {
		opts.Signer = serialSigner(opts.Signer)
		if opts.Track == nil && opts.Progress != nil {
			ordered = newOrderedLog(opts.Progress, len(srcs))
		} else {
			opts.Progress = syncProgress(opts.Progress)
		}
	}
	helpers := &helperCache{builds: map[string]*helperBuild{}}
	defer helpers.remove()
	opts.helpers = helpers
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([][]packaging.Artifact, len(srcs))
	errs := make([]error, len(srcs))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	launched := 0
	for i, s := range srcs {
		sem <- struct{}{}
		if ctx.Err() != nil {
			break // a target failed (or the build was interrupted): start no other
		}
		launched++
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			topts := opts
			if ordered != nil {
				topts.Progress = func(msg string) { ordered.line(i, msg) }
			}
			results[i], errs[i] = buildTarget(ctx, run, c, topts, dir, s)
			if errs[i] != nil {
				cancel()
			}
			if ordered != nil {
				ordered.finish(i, errs[i])
			}
		}()
	}
	wg.Wait()
	var arts []packaging.Artifact
	for i := range srcs {
		if errs[i] != nil {
			return arts, firstFailure(parent, errs[i:])
		}
		arts = append(arts, results[i]...)
	}
	if launched < len(srcs) {
		return arts, parent.Err() // interrupted between two targets
	}
	return arts, nil
}

// firstFailure is the first of errs that is not a cancellation caused by
// another target's failure (errs[0] is not nil): the error -j 1 reports
// when that target comes first. When the build itself was interrupted,
// or every error is a cancellation, it is errs[0].
func firstFailure(parent context.Context, errs []error) error {
	if parent.Err() == nil {
		for _, err := range errs {
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
		}
	}
	return errs[0]
}

// Tracker follows the targets of a build for a live display: Start when
// a target (named by its MSI's file name) begins, Step as each of its
// steps starts, Done when it ended, with its error. Targets built at once
// call it concurrently.
type Tracker interface {
	Start(target string)
	Step(target, step string)
	Done(target string, err error)
}

// buildTarget builds one target: its MSI, then its EXE, if any.
func buildTarget(ctx context.Context, run execx.Runner, c *config.Config, opts Options, dir string, s Source) (arts []packaging.Artifact, err error) {
	name := s.Target.File
	var step func(string)
	if opts.Track != nil {
		opts.Track.Start(name)
		defer func() { opts.Track.Done(name, err) }()
		step = func(st string) { opts.Track.Step(name, st) }
	}
	out := filepath.Join(dir, s.Target.File)
	epoch := opts.Epoch
	if epoch.IsZero() {
		epoch = packaging.DefaultEpoch
	}
	// Up to date: the previous release's MSI (and then its EXE) is reused
	// when its build key is the same (uptodate.go).
	var a packaging.Artifact
	msiKey, reused := "", false
	if opts.keys != nil {
		if msiKey, err = opts.keys.msiKey(s); err != nil {
			return nil, err
		}
		a, reused = opts.keys.reuse(opts, s.Target.File, msiKey, dir, reusedMSI(s), msiTools(s))
		if reused && step != nil {
			step("up to date")
		}
	}
	if !reused {
		if a, err = buildMSI(ctx, run, c, opts, s, out, epoch, step); err != nil {
			return nil, err
		}
		a.BuildKey = msiKey
	}
	if s.Target.EXE == "" {
		return []packaging.Artifact{a}, nil
	}
	exeKey := ""
	if opts.keys != nil {
		exeKey = opts.keys.exeKey(s, msiKey)
		// An EXE wraps its MSI: a rebuilt MSI means a rebuilt EXE.
		if reused {
			if e, ok := opts.keys.reuse(opts, s.Target.EXE, exeKey, dir, reusedEXE(s), exe.Tools); ok {
				return []packaging.Artifact{a, e}, nil
			}
		}
	}
	opts.progress("building %s", s.Target.EXE)
	e, err := exe.Build(ctx, run, exe.Job{Model: s.Model, MSI: a.Path, Out: filepath.Join(dir, s.Target.EXE), SourceDate: epoch, Signer: opts.Signer, Step: step})
	if err != nil {
		return nil, err
	}
	e.BuildKey = exeKey
	opts.progress("built %s (%s, %d bytes%s)", s.Target.EXE, e.Arch, e.Size, signedBy(e))
	return []packaging.Artifact{a, e}, nil
}

// buildMSI builds s's MSI into out; step, when set, hears of each step.
func buildMSI(ctx context.Context, run execx.Runner, c *config.Config, opts Options, s Source, out string, epoch time.Time, step func(string)) (a packaging.Artifact, err error) {
	opts.progress("building %s", s.Target.File)
	// Every MSI is linted after the fix-ups and before signing (issue 16).
	lintGate := func(path string) error {
		if step != nil {
			step("lint")
		}
		return lint.Gate(path, c.Lint.IgnoredRules(), opts.verbose)
	}
	if s.VSC != nil {
		a, err = vsc.Build(ctx, run, vsc.Job{Model: s.VSC, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload, Log: opts.verbose, Step: step,
			Check:  func(_ context.Context, path string) error { return lintGate(path) },
			Helper: func(ctx context.Context, arch string) (string, error) { return opts.helpers.get(ctx, run, arch) }})
	} else {
		a, err = msi.Build(ctx, run, msi.Job{Model: s.Model, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload, Log: opts.verbose, Step: step,
			Check: func(_ context.Context, path string) error {
				if err := lintGate(path); err != nil {
					return err
				}
				// Omitted properties must take the config's defaults.
				if step != nil {
					step("matrix check")
				}
				return check.Build(path, matrix.Defaults{RunAtStartup: s.Model.Defaults.RunAtStartup, ShouldAutoUpdate: s.Model.Defaults.ShouldAutoUpdate})
			}})
	}
	if err != nil {
		return a, err
	}
	opts.progress("built %s (%s, %d bytes%s)", s.Target.File, a.Arch, a.Size, signedBy(a))
	return a, nil
}

// reusedMSI is the artifact s's MSI build returns, less what only the
// file says (size, hashes, signature, PackageCode).
func reusedMSI(s Source) packaging.Artifact {
	if s.VSC != nil {
		m := s.VSC
		return packaging.Artifact{Kind: vsc.Kind(m.Role), Arch: m.Arch, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version}
	}
	m := s.Model
	return packaging.Artifact{Kind: packaging.KindConsoleMSI, Arch: m.Arch, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version}
}

// reusedEXE is reusedMSI for s's EXE.
func reusedEXE(s Source) packaging.Artifact {
	m := s.Model
	return packaging.Artifact{Kind: packaging.KindConsoleEXE, Arch: m.Arch, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version}
}

// msiTools are the tools building s's MSI runs.
func msiTools(s Source) []string {
	if s.VSC != nil {
		return vsc.Tools
	}
	return msi.Tools
}

func signedBy(a packaging.Artifact) string {
	if a.Signature == nil {
		return ""
	}
	return ", signed by " + a.Signature.Subject
}

// pageOf is the download page's wording from the config (output.page).
func pageOf(c *config.Config) site.Page {
	pg := c.Output.Page
	return site.Page{Title: pg.Title, ConsoleTitle: pg.ConsoleTitle, VSCTitle: pg.VSCTitle}
}

// newManifest is the manifest of c's release of arts. merge rebuilds the
// same value from the shards' manifests (shard.go).
func newManifest(c *config.Config, arts []packaging.Artifact, tools map[string]string, msiforge string, epoch time.Time) *manifest.Manifest {
	if epoch.IsZero() {
		epoch = packaging.DefaultEpoch
	}
	m := manifest.New(manifest.Product{
		Name: c.Product.Name, Manufacturer: c.Product.Manufacturer, Version: c.Product.Version, VersionSource: c.VersionSource, UpgradeCode: "{" + c.Product.UpgradeCode + "}",
	}, arts, manifest.Build{Msiforge: msiforge, Tools: tools, SourceDateEpoch: epoch.Unix()})
	for _, ig := range c.Lint.Ignore {
		m.LintIgnored = append(m.LintIgnored, manifest.LintIgnore{Rule: strings.ToUpper(ig.Rule), Reason: ig.Reason})
	}
	return m
}

// writeRecords writes m's manifest.json, SHA256SUMS and index.html (with
// the headings of pg) into dir.
func writeRecords(m *manifest.Manifest, pg site.Page, dir string) ([]string, error) {
	paths, err := m.Write(dir)
	if err != nil {
		return paths, err
	}
	page, err := site.RenderPage(m, pg)
	if err != nil {
		return paths, err
	}
	p := filepath.Join(dir, "index.html")
	if err := packaging.WriteFile(p, page); err != nil {
		return paths, err
	}
	return append(paths, p), nil
}

// helperCache builds the VSC helper once per architecture for a whole
// build: the representative and the customer package of an architecture
// embed the same file (a Go build each, 0.5 s or more even with a warm
// build cache). The packages only read it: msi.Build stages and signs a
// copy.
type helperCache struct {
	mu     sync.Mutex
	dir    string
	builds map[string]*helperBuild
}

type helperBuild struct {
	once sync.Once
	path string
	err  error
}

func (h *helperCache) get(ctx context.Context, run execx.Runner, arch string) (string, error) {
	h.mu.Lock()
	if h.dir == "" {
		dir, err := os.MkdirTemp("", "msiforge-vsc-")
		if err != nil {
			h.mu.Unlock()
			return "", err
		}
		h.dir = dir
	}
	b := h.builds[arch]
	if b == nil {
		b = &helperBuild{}
		h.builds[arch] = b
	}
	dir := h.dir
	h.mu.Unlock()
	b.once.Do(func() { b.path, b.err = vschelper.Build(ctx, run, arch, dir) })
	return b.path, b.err
}

func (h *helperCache) remove() {
	if h.dir != "" {
		os.RemoveAll(h.dir)
	}
}
