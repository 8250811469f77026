package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/packaging"
)

func TestManifest(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	arts := []packaging.Artifact{
		{Path: "/x/b-x64.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Size: 3, SHA256: "bb", PackageCode: "{P}",
			Signature: &packaging.Signature{Subject: "CN=Test", Timestamp: &ts, TimestampAuthority: "CN=TSA"}},
		{Path: "/x/a-x86.exe", Kind: packaging.KindConsoleEXE, Arch: "x86", Size: 2, SHA256: "aa"},
	}
	m := manifest.New(manifest.Product{Name: "P", Version: "1.0.0"}, arts, manifest.Build{Msiforge: "v1", Tools: map[string]string{"wixl": "0.101", "makensis": "3.08"}, SourceDateEpoch: 946684800})
	if m.Artifacts[0].File != "a-x86.exe" || m.Artifacts[1].File != "b-x64.msi" {
		t.Fatalf("artifacts not sorted by file: %+v", m.Artifacts)
	}
	if a := m.Artifacts[1]; !a.Signed || a.SignerSubject != "CN=Test" || !a.Timestamp.Equal(ts) || a.TimestampAuthority != "CN=TSA" {
		t.Errorf("signature not recorded: %+v", a)
	}
	if got, want := string(m.SHA256SUMS()), "aa  a-x86.exe\nbb  b-x64.msi\n"; got != want {
		t.Errorf("SHA256SUMS = %q, want %q", got, want)
	}
	j := string(m.JSON())
	if !strings.Contains(j, `"makensis": "3.08",`+"\n"+`      "wixl": "0.101"`) {
		t.Errorf("tools not in sorted order:\n%s", j)
	}
	if again := string(manifest.New(manifest.Product{Name: "P", Version: "1.0.0"}, []packaging.Artifact{arts[1], arts[0]}, m.Build).JSON()); again != j {
		t.Error("the artifact order changed the manifest")
	}
	dir := t.TempDir()
	paths, err := m.Write(dir)
	if err != nil || len(paths) != 2 {
		t.Fatalf("Write = %v, %v", paths, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if string(b) != j {
		t.Error("manifest.json differs from JSON()")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left %d files, want 2 (no temporary files)", len(entries))
	}
}

// TestWeakSigning: an artifact signed with --allow-weak by a certificate
// that breaks the identity rules is marked, and so is the whole manifest;
// a normal release carries no such key at all.
func TestWeakSigning(t *testing.T) {
	arts := []packaging.Artifact{
		{Path: "/x/a.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Signature: &packaging.Signature{Subject: "CN=Weak", WeakSigning: true}},
		{Path: "/x/b.exe", Kind: packaging.KindConsoleEXE, Arch: "x64", Signature: &packaging.Signature{Subject: "CN=Weak"}},
	}
	m := manifest.New(manifest.Product{Name: "P"}, arts, manifest.Build{})
	if !m.WeakSigning || !m.Artifacts[0].WeakSigning || m.Artifacts[1].WeakSigning {
		t.Fatalf("weak signing not marked: %+v", m)
	}
	if j := string(m.JSON()); !strings.Contains(j, `"schema_version": 1,
  "weak_signing": true,`) {
		t.Errorf("manifest.json lacks the top-level mark:\n%s", j)
	}
	arts[0].Signature.WeakSigning = false
	if j := string(manifest.New(manifest.Product{Name: "P"}, arts, manifest.Build{}).JSON()); strings.Contains(j, "weak_signing") {
		t.Errorf("a normal release mentions weak_signing:\n%s", j)
	}
}
