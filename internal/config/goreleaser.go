package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/goreleaser"
)

// Artifacts names where the console's payload comes from besides
// console.payload.
type Artifacts struct {
	// GoReleaser takes each architecture's console executable from a
	// GoReleaser dist directory, and the product version from its
	// metadata; absent: none.
	GoReleaser *GoReleaser `yaml:"goreleaser"`
}

// GoReleaser is artifacts.goreleaser: which of GoReleaser's Windows
// binaries msiforge packages.
type GoReleaser struct {
	// Dir is GoReleaser's dist directory (artifacts.json and
	// metadata.json), relative to the config file; default "dist".
	Dir string `yaml:"dir"`
	// Builds are the GoReleaser build ids whose Windows binaries are
	// installed, in this order; the first one's binary is the console
	// executable unless console.executable names another. Empty: every
	// build with Windows binaries (then console.executable is needed when
	// there is more than one).
	Builds []string `yaml:"builds"`
	// Goamd64 is the GOAMD64 level of the x64 binary; GoReleaser builds
	// one amd64 binary per level listed in a build's goamd64. Default v1,
	// which every x64 Windows machine runs.
	Goamd64 string `yaml:"goamd64"`
}

var goamd64RE = regexp.MustCompile(`^v[1-4]$`)

// applyGoReleaser reads the GoReleaser dist directory when the config or
// the command line names one: each architecture's payload starts with the
// selected builds' binaries (console.payload's files for it follow), the
// console executable defaults to the first build's binary, and the
// version is GoReleaser's. It reports problems at artifacts.goreleaser's
// line (or the top's, for --from-goreleaser).
func (c *Config) applyGoReleaser(doc *yaml.Node, o Options, warns *[]problem) []problem {
	where := "artifacts.goreleaser"
	if o.GoReleaserDir != "" {
		if c.Artifacts.GoReleaser == nil {
			c.Artifacts.GoReleaser = &GoReleaser{}
		}
		abs, err := filepath.Abs(o.GoReleaserDir)
		if err != nil {
			abs = o.GoReleaserDir
		}
		c.Artifacts.GoReleaser.Dir = abs
		where = "--from-goreleaser " + o.GoReleaserDir
	}
	g := c.Artifacts.GoReleaser
	if g == nil {
		return nil
	}
	v := &validator{doc: doc}
	line := lineOf(doc, "artifacts.goreleaser")
	if o.GoReleaserDir != "" {
		line = 0 // a flag: no line of the config to name
	}
	fail := func(format string, args ...any) []problem {
		c.goreleaserFailed = true
		for _, msg := range strings.Split(fmt.Sprintf(format, args...), "\n") {
			v.errs = append(v.errs, problem{line: line, msg: where + ": " + msg})
		}
		return v.errs
	}
	if g.Dir == "" {
		g.Dir = "dist"
	}
	if g.Goamd64 == "" {
		g.Goamd64 = "v1"
	}
	if !goamd64RE.MatchString(g.Goamd64) {
		return fail("goamd64 %q is not a GOAMD64 level (want v1, v2, v3 or v4)", g.Goamd64)
	}
	for i, b := range g.Builds {
		if strings.TrimSpace(b) == "" {
			return fail("builds[%d] is empty: want a build id of .goreleaser.yaml", i)
		}
	}
	d, err := goreleaser.Read(c.Path(g.Dir))
	if err != nil {
		return fail("%v", err)
	}
	var archs []string
	for _, a := range c.Architectures {
		// Other values are reported at architectures; build --arch
		// leaves out the rest.
		if isArch(a) && (len(o.Archs) == 0 || slices.Contains(o.Archs, a)) {
			archs = append(archs, a)
		}
	}
	bins, err := d.Select(goreleaser.Selection{Builds: g.Builds, Goamd64: g.Goamd64, Archs: archs})
	if err != nil {
		return fail("%v", err)
	}
	for _, a := range archs {
		var files []string
		for _, b := range bins[a] {
			files = append(files, b.Path)
		}
		if c.Console.Payload == nil {
			c.Console.Payload = map[string][]string{}
		}
		c.Console.Payload[a] = append(files, c.Console.Payload[a]...)
	}
	if c.Console.Executable == "" && len(archs) > 0 {
		first := bins[archs[0]]
		if len(g.Builds) == 0 && len(first) > 1 {
			var names []string
			for _, b := range first {
				names = append(names, b.Name)
			}
			return fail("the dist directory has Windows binaries of %d builds (%s): set console.executable to the console's, or list the builds in artifacts.goreleaser.builds with the console's first", len(first), strings.Join(names, ", "))
		}
		c.Console.Executable = first[0].Name
	}

	// A version given on the command line (build --version,
	// MSIFORGE_VERSION) wins over GoReleaser's.
	if c.VersionSource != "config" {
		return nil
	}
	// GoReleaser's Version is its tag without the "v" (or the snapshot's
	// version_template).
	const source = "GoReleaser's metadata.json version"
	ver, err := NormalizeVersion(source, d.Metadata.Version)
	if err != nil {
		if strings.Contains(d.Metadata.Version, "SNAPSHOT") {
			err = fmt.Errorf("%w; this is a goreleaser --snapshot build: set snapshot.version_template in .goreleaser.yaml to a plain version such as \"{{ incpatch .Version }}\", or build from a release tag", err)
		}
		return fail("%v", err)
	}
	// The config's rules for a ProductVersion, said about GoReleaser's.
	pv := &validator{doc: doc}
	if pv.version("product.version", ver); len(pv.errs) > 0 {
		return fail("metadata.json version %s", strings.TrimPrefix(pv.errs[0].msg, "product.version: "))
	}
	if c.Product.Version != "" && c.Product.Version != ver {
		*warns = append(*warns, problem{line: lineOf(doc, "product.version"), msg: fmt.Sprintf("product.version: %s is replaced by GoReleaser's version %s; remove it from the config", c.Product.Version, ver)})
	}
	c.Product.Version, c.VersionSource = ver, "goreleaser"
	return nil
}
