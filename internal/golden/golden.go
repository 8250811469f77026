// Package golden compares test output with files under testdata and
// rewrites them when tests run with -update (make golden).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update is the -update flag of every test binary that imports this package.
var Update = flag.Bool("update", false, "rewrite golden files with the current output")

// Assert compares got with testdata/<name>.golden, or writes it with -update.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got = bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n"))
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'make golden' to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got); run 'make golden' and review the diff:\n%s", path, diff)
	}
}

// AssertFile compares got with the file at path (one that is not under
// testdata: a generated source or a published schema), or writes it with
// -update. regen says how to rewrite it, for the failure message.
func AssertFile(t testing.TB, path string, got []byte, regen string) {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s)", err, regen)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is out of date (-want +got); %s and review the diff:\n%s", path, regen, diff)
	}
}
