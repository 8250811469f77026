package release

import (
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

// TestPublishExchange: on Linux the two directories swap in one step.
func TestPublishExchange(t *testing.T) {
	base := t.TempDir()
	real, staging := filepath.Join(base, "dist"), StagingDir(filepath.Join(base, "dist"))
	write(t, real, map[string]string{"old.msi": "old"})
	write(t, staging, map[string]string{"new.msi": "new"})
	if err := publish(staging, real); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(real, "new.msi")) != "new" || read(t, filepath.Join(staging, "old.msi")) != "old" {
		t.Error("not swapped")
	}
	if _, err := os.Stat(filepath.Join(real, "old.msi")); !os.IsNotExist(err) {
		t.Error("old.msi is still in the published directory")
	}
}

// TestPublishFallback: where the directories cannot be exchanged, two
// renames publish; a crash between them (no output directory, the
// previous release moved aside) is undone by the next build.
func TestPublishFallback(t *testing.T) {
	exchangeDirs = func(string, string) error { return errUnsupported }
	defer func() { exchangeDirs = exchange }()
	base := t.TempDir()
	real := filepath.Join(base, "dist")
	staging := StagingDir(real)
	write(t, real, map[string]string{"old.msi": "old"})
	write(t, staging, map[string]string{"new.msi": "new"})
	if err := publish(staging, real); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(real, "new.msi")) != "new" || read(t, filepath.Join(staging, "old.msi")) != "old" {
		t.Error("fallback did not publish, or did not move the old release to the staging path")
	}
	if _, err := os.Stat(previousDir(real)); !os.IsNotExist(err) {
		t.Error("the previous-release directory is left")
	}

	// The crash: the old release moved aside, the new one not yet in place.
	os.RemoveAll(real)
	os.RemoveAll(staging)
	write(t, previousDir(real), map[string]string{"old.msi": "old"})
	write(t, staging, map[string]string{"new.msi": "half"})
	var progress []string
	opts := Options{Progress: func(s string) { progress = append(progress, s) }}
	if err := recoverInterrupted(real, opts); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(real, "old.msi")) != "old" {
		t.Error("previous release not restored")
	}
	for _, p := range []string{staging, previousDir(real)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left", p)
		}
	}
	got := strings.Join(progress, "\n")
	for _, want := range []string{"removed the staging directory of an interrupted build: " + staging, "restored the previous release"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}
