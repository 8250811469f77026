package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// manifestFor writes a manifest listing files given as "name=content".
func manifestFor(files ...string) string {
	s := `{"schema_version":1,"artifacts":[`
	for i, f := range files {
		if i > 0 {
			s += ","
		}
		name, content, _ := strings.Cut(f, "=")
		sum := sha256.Sum256([]byte(content))
		s += fmt.Sprintf(`{"file":%q,"size":%d,"sha256":%q}`, name, len(content), hex.EncodeToString(sum[:]))
	}
	return s + `],"build":{"msiforge":"test"}}`
}

// TestInterruptedPublishIsFinished: a build killed in the middle of moving
// its files in (after the old records went and the first artifact moved)
// leaves the staging directory with its journal; the next Begin finishes
// the publish, so the directory holds the whole new release and its
// records, the user's file untouched.
func TestInterruptedPublishIsFinished(t *testing.T) {
	real := filepath.Join(t.TempDir(), "dist")
	write(t, real, map[string]string{"a.msi": "old a", "index.html": "old page", "SHA256SUMS": "old sums", "manifest.json": manifestFor("a.msi=old a"), "notes.txt": "mine"})
	p, err := Begin(real, []string{"a.msi", "b.msi", ManifestFile, SumsFile, PageFile}, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, p.Staging(), map[string]string{"a.msi": "new a", "b.msi": "new b", "index.html": "new page", "SHA256SUMS": "new sums", "manifest.json": manifestFor("a.msi=new a", "b.msi=new b")})
	crash := errors.New("crash")
	afterMove = func(n string) error {
		if n == "a.msi" {
			return crash
		}
		return nil
	}
	defer func() { afterMove = nil }()
	_, err = p.Publish(nil)
	if err == nil || !strings.Contains(err.Error(), "unexpected file a.msi") {
		t.Fatalf("Publish with artifacts not passed: %v, want the staged release refused", err)
	}
	// Publish with the artifacts, made as the build would have.
	arts := stagedArtifacts(t, p.Staging(), "a.msi", "b.msi")
	if _, err = p.Publish(arts); !errors.Is(err, crash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	// The crash leaves no records that would lie about a.msi.
	for _, n := range []string{"manifest.json", "SHA256SUMS"} {
		if _, err := os.Stat(filepath.Join(real, n)); !os.IsNotExist(err) {
			t.Errorf("%s is in the output directory in the middle of the publish", n)
		}
	}
	p.published = true // a killed process removes nothing
	p.Close()
	afterMove = nil

	var progress []string
	p, err = Begin(real, nil, PublishOptions{Progress: func(s string) { progress = append(progress, s) }})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	want := map[string]string{"a.msi": "new a", "b.msi": "new b", "index.html": "new page", "SHA256SUMS": "new sums", "manifest.json": manifestFor("a.msi=new a", "b.msi=new b"), "notes.txt": "mine"}
	for n, b := range want {
		if got := read(t, filepath.Join(real, n)); got != b {
			t.Errorf("%s = %q, want %q", n, got, b)
		}
	}
	if entries, _ := os.ReadDir(real); len(entries) != len(want) {
		t.Errorf("output directory holds %d files, want %d", len(entries), len(want))
	}
	if _, err := os.Stat(StagingDir(real)); !os.IsNotExist(err) {
		t.Error("staging directory left")
	}
	if len(progress) != 1 || !strings.Contains(progress[0], "finished publishing the release an interrupted build had begun") {
		t.Errorf("progress = %q", progress)
	}
}

// TestDamagedJournalIsRefused: a journal naming a path outside the two
// directories is not followed.
func TestDamagedJournalIsRefused(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "dist")
	write(t, base, map[string]string{"precious": "keep"})
	write(t, StagingDir(real), map[string]string{journalFile: `{"clean":["../precious"],"move":["a.msi"]}`})
	if _, err := Begin(real, nil, PublishOptions{}); err == nil || !strings.Contains(err.Error(), "unreadable publish journal") {
		t.Fatalf("err = %v", err)
	}
	if read(t, filepath.Join(base, "precious")) != "keep" {
		t.Error("a file outside the output directory was touched")
	}
}

// TestManifestNamesOutsideAreNotOurs: --clean removes only plain file
// names a previous manifest lists, never a path it names.
func TestManifestNamesOutsideAreNotOurs(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "dist")
	write(t, base, map[string]string{"precious": "keep"})
	write(t, real, map[string]string{"manifest.json": manifestFor("../precious=keep", "old.msi=x"), "old.msi": "x"})
	p, err := Begin(real, []string{"new.msi", ManifestFile, SumsFile, PageFile}, PublishOptions{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	write(t, p.Staging(), map[string]string{"new.msi": "n", "index.html": "", "SHA256SUMS": "", "manifest.json": manifestFor("new.msi=n")})
	if _, err := p.Publish(stagedArtifacts(t, p.Staging(), "new.msi")); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(base, "precious")) != "keep" {
		t.Error("a file outside the output directory was removed")
	}
	if _, err := os.Stat(filepath.Join(real, "old.msi")); !os.IsNotExist(err) {
		t.Error("old.msi, listed by the previous manifest, was not cleaned")
	}
}

// TestChangedArtifactIsTheUsers: an artifact of the previous release that
// someone changed since (its SHA-256 is not the manifest's) is not
// msiforge's any more: a release that would overwrite it is refused, and
// --clean leaves it where the new release does not have it.
func TestChangedArtifactIsTheUsers(t *testing.T) {
	real := filepath.Join(t.TempDir(), "dist")
	sum := func(s string) string { return stagedArtifacts(t, writeTmp(t, s), "f")[0].SHA256 }
	m := `{"schema_version":1,"artifacts":[{"file":"a.msi","size":5,"sha256":"` + sum("old a") + `"},{"file":"b.msi","size":5,"sha256":"` + sum("old b") + `"}],"build":{"msiforge":"test"}}`
	write(t, real, map[string]string{"a.msi": "old a", "b.msi": "new b", "manifest.json": m})
	if _, err := Begin(real, []string{"b.msi", ManifestFile, SumsFile, PageFile}, PublishOptions{Clean: true}); err == nil || !strings.Contains(err.Error(), "holds b.msi, which msiforge did not write") {
		t.Fatalf("err = %v, want the changed b.msi refused", err)
	}
	write(t, real, map[string]string{"a.msi": "new a", "b.msi": "old b"})
	p, err := Begin(real, []string{"b.msi", ManifestFile, SumsFile, PageFile}, PublishOptions{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	write(t, p.Staging(), map[string]string{"b.msi": "b 2.0", "index.html": "", "SHA256SUMS": "", "manifest.json": manifestFor("b.msi=b 2.0")})
	if _, err := p.Publish(stagedArtifacts(t, p.Staging(), "b.msi")); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(real, "a.msi")) != "new a" || read(t, filepath.Join(real, "b.msi")) != "b 2.0" {
		t.Error("the changed a.msi was not kept, or b.msi not published")
	}
}

func writeTmp(t *testing.T, content string) string {
	dir := t.TempDir()
	write(t, dir, map[string]string{"f": content})
	return dir
}
