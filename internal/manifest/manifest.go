// Package manifest writes the machine-readable record of a release next to
// its artifacts: dist/manifest.json and a coreutils-style SHA256SUMS.
// Both depend only on what was built, so identical inputs give identical
// bytes.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/packaging"
)

// SchemaVersion is the manifest format's version; bump it on any
// incompatible change.
const SchemaVersion = 1

// Manifest is dist/manifest.json.
type Manifest struct {
	SchemaVersion int `json:"schema_version"`
	// WeakSigning: at least one artifact was signed with --allow-weak by a
	// certificate that breaks the signing identity rules. Such a release
	// is for tests only.
	WeakSigning bool       `json:"weak_signing,omitempty"`
	Product     Product    `json:"product"`
	Artifacts   []Artifact `json:"artifacts"`
	Build       Build      `json:"build"`
	// LintIgnored are the lint rules the config accepted (lint.ignore),
	// each with its reason; build lints every MSI with all other rules.
	LintIgnored []LintIgnore `json:"lint_ignored,omitempty"`
}

// LintIgnore is one accepted lint rule.
type LintIgnore struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Product identifies what was released.
type Product struct {
	Name         string `json:"name"`
	Manufacturer string `json:"manufacturer"`
	Version      string `json:"version"`
	// VersionSource says where Version came from: "config"
	// (product.version), "--version" or "MSIFORGE_VERSION" (build's
	// override), or another override's name.
	VersionSource string `json:"version_source"`
	UpgradeCode   string `json:"upgrade_code"`
}

// Artifact is one file of the release.
type Artifact struct {
	File               string     `json:"file"` // name, relative to the manifest
	Kind               string     `json:"kind"` // console-msi, console-exe, …
	Arch               string     `json:"arch"`
	Size               int64      `json:"size"`
	SHA256             string     `json:"sha256"`
	ProductCode        string     `json:"product_code,omitempty"`
	UpgradeCode        string     `json:"upgrade_code,omitempty"`
	PackageCode        string     `json:"package_code,omitempty"`
	Signed             bool       `json:"signed"`
	SignerSubject      string     `json:"signer_subject,omitempty"`
	Timestamp          *time.Time `json:"timestamp,omitempty"`
	TimestampAuthority string     `json:"timestamp_authority,omitempty"`
	WeakSigning        bool       `json:"weak_signing,omitempty"` // signed with --allow-weak by a weak certificate
	// SignerUntrusted says why Windows will not trust the signer (a
	// self-signed development certificate): the signature verifies, but
	// Windows shows an unknown publisher.
	SignerUntrusted string `json:"signer_untrusted,omitempty"`
	// BuildKey is the SHA-256 of everything the artifact was built from
	// (internal/uptodate): the next build reuses the file when its key is
	// the same. Absent when the build computed none.
	BuildKey string `json:"build_key,omitempty"`
}

// Build records how the release was made.
type Build struct {
	Msiforge        string            `json:"msiforge"`
	Tools           map[string]string `json:"tools"` // tool → version (encoding/json sorts keys)
	SourceDateEpoch int64             `json:"source_date_epoch"`
}

// New assembles a manifest; artifacts are sorted by file name.
func New(p Product, arts []packaging.Artifact, b Build) *Manifest {
	m := &Manifest{SchemaVersion: SchemaVersion, Product: p, Build: b}
	for _, a := range arts {
		e := Artifact{File: filepath.Base(a.Path), Kind: a.Kind, Arch: a.Arch, Size: a.Size, SHA256: a.SHA256,
			ProductCode: a.ProductCode, UpgradeCode: a.UpgradeCode, PackageCode: a.PackageCode, BuildKey: a.BuildKey}
		if s := a.Signature; s != nil {
			e.Signed, e.SignerSubject, e.Timestamp, e.TimestampAuthority = true, s.Subject, s.Timestamp, s.TimestampAuthority
			e.WeakSigning, e.SignerUntrusted = s.WeakSigning, s.Untrusted
			m.WeakSigning = m.WeakSigning || s.WeakSigning
		}
		m.Artifacts = append(m.Artifacts, e)
	}
	sort.Slice(m.Artifacts, func(i, j int) bool { return m.Artifacts[i].File < m.Artifacts[j].File })
	return m
}

// JSON renders the manifest, indented, with a final newline.
func (m *Manifest) JSON() []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // plain data: cannot fail
	return append(b, '\n')
}

// SHA256SUMS renders the checksums in `sha256sum -c` format.
func (m *Manifest) SHA256SUMS() []byte {
	var b bytes.Buffer
	for _, a := range m.Artifacts {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.File)
	}
	return b.Bytes()
}

// Write writes manifest.json and SHA256SUMS into dir, each atomically.
func (m *Manifest) Write(dir string) ([]string, error) {
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", m.JSON()}, {"SHA256SUMS", m.SHA256SUMS()}} {
		p := filepath.Join(dir, f.name)
		if err := packaging.WriteFile(p, f.data); err != nil {
			return paths, fmt.Errorf("write %s: %w", f.name, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

//go:generate go test -run TestSchemaDocs -update

// Schema returns the JSON Schema (draft 2020-12) of manifest.json,
// reflected from [Manifest]; its descriptions are the Go doc comments of
// its fields (schemadoc.go).
func Schema() *jsonschema.Schema {
	return jsonschema.For(Manifest{}, jsonschema.Options{
		ID:    "https://msiforge.invalid/schema/manifest-v1.json",
		Title: "msiforge dist/manifest.json",
		Docs:  schemaDocs,
	})
}
