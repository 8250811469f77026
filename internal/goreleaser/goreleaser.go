// Package goreleaser reads what GoReleaser v2 leaves in its dist
// directory (artifacts.json and metadata.json) and picks out the Windows
// binaries and the version msiforge packages, so a GoReleaser user does
// not copy binaries into msiforge.yaml's layout or keep two versions in
// step by hand.
//
// The formats are GoReleaser's internal/artifact.Artifact and
// internal/pipe/metadata's metadata struct (v2.15.1); both are written
// with encoding/json, artifacts.json at the end of `goreleaser build` and
// of `goreleaser release`, metadata.json before the builds.
package goreleaser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/safefile"
)

// Artifact is one entry of artifacts.json: the fields msiforge reads.
type Artifact struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Goos    string `json:"goos"`
	Goarch  string `json:"goarch"`
	Goamd64 string `json:"goamd64"`
	Go386   string `json:"go386"`
	Goarm64 string `json:"goarm64"`
	Type    string `json:"type"` // "Binary" for a go build's output
	Extra   struct {
		ID     string `json:"ID"`     // the build's id
		Binary string `json:"Binary"` // the binary's name without extension
	} `json:"extra"`
}

// Metadata is metadata.json.
type Metadata struct {
	ProjectName string `json:"project_name"`
	Tag         string `json:"tag"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
}

// Dist is a GoReleaser dist directory, read.
type Dist struct {
	Dir       string // absolute
	Artifacts []Artifact
	Metadata  Metadata
}

// The largest artifacts.json or metadata.json msiforge reads: a release
// with thousands of artifacts stays far below it.
const maxJSON = 64 << 20

// Read reads dir/artifacts.json and dir/metadata.json.
func Read(dir string) (*Dist, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	d := &Dist{Dir: abs}
	if err := readJSON(filepath.Join(abs, "artifacts.json"), &d.Artifacts); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(abs, "metadata.json"), &d.Metadata); err != nil {
		return nil, err
	}
	return d, nil
}

func readJSON(path string, v any) error {
	data, err := safefile.ReadFile(path, maxJSON)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s does not exist: is %s a GoReleaser dist directory? (goreleaser build or goreleaser release writes it)", path, filepath.Dir(path))
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: not GoReleaser's format: %w", path, err)
	}
	return nil
}

// Arches maps msiforge's Windows architectures to Go's GOARCH.
var Arches = map[string]string{"x86": "386", "x64": "amd64", "arm64": "arm64"}

// Selection says which binaries to take.
type Selection struct {
	Builds  []string // build ids; empty: every build with a Windows binary
	Goamd64 string   // the amd64 level; "" means v1
	Archs   []string // msiforge architectures that must each get their binaries
}

// Binary is one selected binary.
type Binary struct {
	Build string // the build id
	Name  string // file name, as installed
	Path  string // absolute
}

// Select picks, for each architecture of sel.Archs, the Windows binary
// of each selected build, in the order of sel.Builds (of the build ids'
// first appearance in artifacts.json when sel.Builds is empty). It refuses
// a build without a binary for an architecture, two binaries of one build
// for one architecture, and two builds whose binaries share a file name.
func (d *Dist) Select(sel Selection) (map[string][]Binary, error) {
	level := sel.Goamd64
	if level == "" {
		level = "v1"
	}
	builds := sel.Builds
	seenBuild := map[string]bool{}
	var all []string // ids with a Windows binary, in file order
	for _, a := range d.Artifacts {
		if a.Type == "Binary" && a.Goos == "windows" && !seenBuild[a.Extra.ID] {
			seenBuild[a.Extra.ID] = true
			all = append(all, a.Extra.ID)
		}
	}
	if len(builds) == 0 {
		builds = all
		if len(builds) == 0 {
			return nil, fmt.Errorf("%s lists no Windows binaries (type \"Binary\", goos windows): add windows to the goos of a build in .goreleaser.yaml", d.file())
		}
	}
	var errs []string
	for _, id := range builds {
		if !seenBuild[id] {
			errs = append(errs, fmt.Sprintf("build %q has no Windows binaries in %s (builds with Windows binaries: %s)", id, d.file(), list(all)))
		}
	}
	if len(errs) > 0 {
		return nil, joined(errs)
	}
	out := map[string][]Binary{}
	for _, arch := range sel.Archs {
		goarch, ok := Arches[arch]
		if !ok {
			return nil, fmt.Errorf("architecture %q has no GOARCH (want one of x86, x64, arm64)", arch)
		}
		names := map[string]string{} // lower-case file name → build id
		for _, id := range builds {
			var found []Artifact
			var levels []string
			for _, a := range d.Artifacts {
				if a.Type != "Binary" || a.Goos != "windows" || a.Goarch != goarch || a.Extra.ID != id {
					continue
				}
				if goarch == "amd64" && a.Goamd64 != "" && a.Goamd64 != level {
					levels = append(levels, a.Goamd64)
					continue
				}
				found = append(found, a)
			}
			switch {
			case len(found) == 0 && len(levels) > 0:
				errs = append(errs, fmt.Sprintf("%s: build %q has no windows/amd64 binary for GOAMD64 %s (it has %s): set artifacts.goreleaser.goamd64 to one of them, or add %s to the build's goamd64 list", arch, id, level, list(levels), level))
				continue
			case len(found) == 0:
				errs = append(errs, fmt.Sprintf("%s: build %q has no windows/%s binary in %s: add %s to the build's goarch in .goreleaser.yaml, or remove %s from architectures", arch, id, goarch, d.file(), goarch, arch))
				continue
			case len(found) > 1:
				var ps []string
				for _, a := range found {
					ps = append(ps, a.Path+variant(a))
				}
				errs = append(errs, fmt.Sprintf("%s: build %q has %d windows/%s binaries for one slot (%s); msiforge packages one per build and architecture: narrow the build's go386/goarm64 list", arch, id, len(found), goarch, strings.Join(ps, ", ")))
				continue
			}
			a := found[0]
			name := filepath.Base(filepath.FromSlash(a.Name))
			if other, dup := names[strings.ToLower(name)]; dup {
				errs = append(errs, fmt.Sprintf("%s: builds %q and %q both produce %s; they would be installed into one folder under one name: give one build another binary name", arch, other, id, name))
				continue
			}
			names[strings.ToLower(name)] = id
			p, err := d.resolve(a.Path)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: build %q: %v", arch, id, err))
				continue
			}
			out[arch] = append(out[arch], Binary{Build: id, Name: name, Path: p})
		}
	}
	if len(errs) > 0 {
		return nil, joined(errs)
	}
	return out, nil
}

// joined is one error per line, so each problem reads on its own.
func joined(msgs []string) error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = errors.New(m)
	}
	return errors.Join(errs...)
}

// variant names the microarchitecture fields that tell two binaries of
// one build and GOARCH apart.
func variant(a Artifact) string {
	var v []string
	for _, f := range []struct{ k, v string }{{"go386", a.Go386}, {"goamd64", a.Goamd64}, {"goarm64", a.Goarm64}} {
		if f.v != "" {
			v = append(v, f.k+" "+f.v)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return " (" + strings.Join(v, ", ") + ")"
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	u := append([]string(nil), s...)
	sort.Strings(u)
	return strings.Join(u, ", ")
}

func (d *Dist) file() string { return filepath.Join(d.Dir, "artifacts.json") }

// resolve finds an artifact's file. GoReleaser records paths relative to
// the directory it ran in (its dist setting joined with the file,
// "dist/app_windows_amd64_v1/app.exe"), which msiforge does not know; the
// file must lie inside the dist directory, so the directory it ran in is
// the ancestor of Dir that puts the path there.
func (d *Dist) resolve(p string) (string, error) {
	fp := filepath.FromSlash(p)
	if filepath.IsAbs(fp) {
		return existing(fp)
	}
	for root := filepath.Dir(d.Dir); ; root = filepath.Dir(root) {
		cand := filepath.Join(root, fp)
		if rel, err := filepath.Rel(d.Dir, cand); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return existing(cand)
		}
		if filepath.Dir(root) == root {
			break
		}
	}
	return "", fmt.Errorf("the path %q in %s does not lead into %s (was the dist directory moved away from the directory GoReleaser ran in?)", p, d.file(), d.Dir)
}

func existing(p string) (string, error) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return "", fmt.Errorf("binary %s: %w", p, err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("binary %s is not a regular file", p)
	}
	return p, nil
}
