// Package release runs the whole job for a config: render every target's
// source, build it, and report what was written. The CLI's render and
// build commands are thin wrappers over Render and Build.
package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/packaging"
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
}

// DefaultEpoch is the time recorded in the artifacts when
// SOURCE_DATE_EPOCH is not set: a fixed date, never the clock, so builds
// are reproducible by default.
var DefaultEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// minEpoch is the earliest time a cabinet (DOS date) can record.
var minEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseEpoch reads SOURCE_DATE_EPOCH (seconds since 1970, UTC); "" gives
// DefaultEpoch.
func ParseEpoch(s string) (time.Time, error) {
	if s == "" {
		return DefaultEpoch, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < minEpoch.Unix() || n > 1<<33 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not allowed: want seconds since 1970 between %d (1980-01-01, the earliest a cabinet records) and %d", s, minEpoch.Unix(), int64(1)<<33)
	}
	return time.Unix(n, 0).UTC(), nil
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
	Text   []byte
}

// Sources renders the sources of every target, in memory.
func Sources(c *config.Config, archs []string) ([]Source, error) {
	ts, err := plan.Targets(c, archs)
	if err != nil {
		return nil, err
	}
	tpl, err := render.Parse(templates.FS)
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
		out = append(out, Source{Target: t, Model: m, Text: text})
	}
	return out, nil
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
		p := filepath.Join(dir, s.Target.Wxs)
		if err := writeFileAtomic(p, s.Text); err != nil {
			return nil, err
		}
		opts.progress("rendered %s", p)
		paths = append(paths, p)
	}
	return paths, nil
}

// Build renders and builds every target into the output directory. On an
// error nothing half-written is left: each artifact is renamed into place
// only when complete.
func Build(ctx context.Context, run execx.Runner, c *config.Config, opts Options) ([]packaging.Artifact, error) {
	srcs, err := Sources(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	dir := opts.OutDir
	if dir == "" {
		dir = c.OutputDir()
	}
	var arts []packaging.Artifact
	for _, s := range srcs {
		out := filepath.Join(dir, s.Target.File)
		opts.progress("building %s", s.Target.File)
		epoch := opts.Epoch
		if epoch.IsZero() {
			epoch = DefaultEpoch
		}
		var a packaging.Artifact
		if s.VSC != nil {
			a, err = vsc.Build(ctx, run, vsc.Job{Model: s.VSC, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload})
		} else {
			a, err = msi.Build(ctx, run, msi.Job{Model: s.Model, Source: s.Text, Out: out, Epoch: epoch, Signer: opts.Signer, SignPayload: opts.SignPayload})
		}
		if err != nil {
			return arts, err
		}
		if a.Signature != nil {
			opts.progress("built %s (%s, %d bytes, signed by %s)", s.Target.File, a.Arch, a.Size, a.Signature.Subject)
		} else {
			opts.progress("built %s (%s, %d bytes)", s.Target.File, a.Arch, a.Size)
		}
		arts = append(arts, a)
	}
	return arts, nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".msiforge-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
