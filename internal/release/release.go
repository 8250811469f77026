// Package release runs the whole job for a config: render every target's
// source, build it, and report what was written. The CLI's render and
// build commands are thin wrappers over Render and Release; Release stages
// the whole release, checks it and publishes it all at once (publish.go).
package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/doctor"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/internal/site"
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
	// Force rebuilds every target even when the output directory holds
	// it up to date (build --force); build keys are still recorded.
	Force bool

	// keys is the up-to-date check (uptodate.go), which Release and
	// BuildShard set up; nil (Build called alone) builds everything and
	// records no build keys.
	keys *keying
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
	var arts []packaging.Artifact
	for _, s := range srcs {
		out := filepath.Join(dir, s.Target.File)
		epoch := opts.Epoch
		if epoch.IsZero() {
			epoch = packaging.DefaultEpoch
		}
		var a packaging.Artifact
		// Up to date: the previous release's MSI (and then its EXE) is
		// reused when its build key is the same (uptodate.go).
		msiKey, reused := "", false
		if opts.keys != nil {
			if msiKey, err = opts.keys.msiKey(s); err != nil {
				return arts, err
			}
			a, reused = opts.keys.reuse(opts, s.Target.File, msiKey, dir, reusedMSI(s), msiTools(s))
		}
		if !reused {
			if a, err = buildMSI(ctx, run, c, opts, s, out, epoch); err != nil {
				return arts, err
			}
			a.BuildKey = msiKey
		}
		arts = append(arts, a)
		if s.Target.EXE == "" {
			continue
		}
		var e packaging.Artifact
		exeKey, exeReused := "", false
		if opts.keys != nil {
			exeKey = opts.keys.exeKey(s, msiKey)
			// An EXE wraps its MSI: a rebuilt MSI means a rebuilt EXE.
			if reused {
				e, exeReused = opts.keys.reuse(opts, s.Target.EXE, exeKey, dir, reusedEXE(s), exe.Tools)
			}
		}
		if exeReused {
			arts = append(arts, e)
			continue
		}
		opts.progress("building %s", s.Target.EXE)
		e, err = exe.Build(ctx, run, exe.Job{Model: s.Model, MSI: a.Path, Out: filepath.Join(dir, s.Target.EXE), SourceDate: epoch, Signer: opts.Signer})
		if err != nil {
			return arts, err
		}
		e.BuildKey = exeKey
		opts.progress("built %s (%s, %d bytes%s)", s.Target.EXE, e.Arch, e.Size, signedBy(e))
		arts = append(arts, e)
	}
	return arts, nil
}

// buildMSI builds s's MSI into out.
func buildMSI(ctx context.Context, run execx.Runner, c *config.Config, opts Options, s Source, out string, epoch time.Time) (packaging.Artifact, error) {
	opts.progress("building %s", s.Target.File)
	var a packaging.Artifact
	var err error
	// Every MSI is linted after the fix-ups and before signing (issue 16).
	lintGate := func(path string) error { return lint.Gate(path, c.Lint.IgnoredRules(), opts.verbose) }
	if s.VSC != nil {
		a, err = vsc.Build(ctx, run, vsc.Job{Model: s.VSC, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload, Log: opts.verbose,
			Check: func(_ context.Context, path string) error { return lintGate(path) }})
	} else {
		a, err = msi.Build(ctx, run, msi.Job{Model: s.Model, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload, Log: opts.verbose,
			Check: func(_ context.Context, path string) error {
				if err := lintGate(path); err != nil {
					return err
				}
				// Omitted properties must take the config's defaults.
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

// Record writes manifest.json, SHA256SUMS and the index.html downloads page for arts into dir: what was
// built, with which msiforge and tools, at which SOURCE_DATE_EPOCH. used
// names the tools the build ran (an execx.Recorder's): the manifest
// records those with their versions, and no other tool installed on the
// machine, so it does not differ between machines with different test
// tools.
func Record(ctx context.Context, run execx.Runner, c *config.Config, arts []packaging.Artifact, dir, msiforge string, epoch time.Time, used []string) ([]string, error) {
	return writeRecords(newManifest(c, arts, doctor.Versions(ctx, run, used), msiforge, epoch), pageOf(c), dir)
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
