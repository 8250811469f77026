package upgradediff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/packaging"
)

// Release is an earlier release written by msiforge build: its MSIs by
// kind and architecture, from its manifest.json, already read, so a
// build into the same directory cannot replace them before the
// comparison.
type Release struct {
	Dir  string
	msis map[string]*Package // kind/arch -> the package
}

// LoadRelease reads the manifest of the release in dir and its MSIs.
func LoadRelease(dir string) (*Release, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--previous %s: no manifest.json there: give the output directory of an earlier msiforge build", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("--previous %s: %w", dir, err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("--previous %s: manifest.json: %w", dir, err)
	}
	r := &Release{Dir: dir, msis: map[string]*Package{}}
	for _, a := range m.Artifacts {
		// A bare file name only: the manifest must not point elsewhere.
		if !strings.EqualFold(filepath.Ext(a.File), ".msi") || a.File != filepath.Base(a.File) {
			continue
		}
		p, err := Read(filepath.Join(dir, a.File))
		if err != nil {
			return nil, fmt.Errorf("--previous %s: %w", dir, err)
		}
		r.msis[a.Kind+"/"+a.Arch] = p
	}
	return r, nil
}

// Compare compares each MSI of arts with the release's MSI of the same
// kind and architecture. An MSI with no counterpart there (a new
// architecture, say) is skipped.
func (rel *Release) Compare(arts []packaging.Artifact) ([]*Report, error) {
	var reps []*Report
	for _, a := range arts {
		if !strings.EqualFold(filepath.Ext(a.Path), ".msi") {
			continue
		}
		old, ok := rel.msis[a.Kind+"/"+a.Arch]
		if !ok {
			continue
		}
		n, err := Read(a.Path)
		if err != nil {
			return reps, err
		}
		reps = append(reps, Compare(old, n))
	}
	return reps, nil
}
