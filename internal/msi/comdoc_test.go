package msi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/sassoftware/relic/v8/lib/comdoc"
)

// The package reads the compound file with its own code instead of relic's
// lib/comdoc (see cfb.go). These tests keep comdoc as an independent
// oracle for the compound-file layer and record why it is not used.

// comdocStreams reads every root stream with relic's comdoc, keyed by raw
// (undecoded) name.
func comdocStreams(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	cdf, err := comdoc.ReadFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ents, err := cdf.ListDir(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		if e.Type != comdoc.DirStream {
			continue
		}
		r, err := cdf.ReadStream(e)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func TestCFBMatchesComdoc(t *testing.T) {
	paths := []string{"testdata/tiny.msi"}
	// The wixl-built packages join when wixl is there (or must be, in CI).
	if _, err := execx.LookPath("wixl"); err == nil || os.Getenv("CI") == "true" {
		for _, tm := range testMSIs {
			paths = append(paths, tm.build(t))
		}
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := comdocStreams(t, data)
		c, err := openCFB(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		for _, i := range c.rootStreams() {
			b, err := c.readStream(&c.entries[i])
			if err != nil {
				t.Fatal(err)
			}
			got[string(utf16.Decode(c.entries[i].name))] = b
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d streams, comdoc finds %d", path, len(got), len(want))
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("%s: stream %q: %d bytes, comdoc reads %d", path, name, len(got[name]), len(b))
			}
		}
	}
}

// TestComdocPanicsOnCorruptInput records the reason for cfb.go: a
// directory entry whose child index points past the directory makes
// comdoc.ReadFile panic (index out of range), where this package returns
// ErrCorrupt.
func TestComdocPanicsOnCorruptInput(t *testing.T) {
	data := readTiny(t)
	off := dirEntryOffset(t, data, 0) // the root entry
	binary.LittleEndian.PutUint32(data[off+76:], 100000)

	_, err := openBytes(data)
	if err == nil || !isReaderError(err) || !strings.Contains(err.Error(), "missing entry 100000") {
		t.Errorf("NewReader: %v, want ErrCorrupt about entry 100000", err)
	}

	comdocErr := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		_, err = comdoc.ReadFile(bytes.NewReader(data))
		return err
	}()
	t.Logf("comdoc.ReadFile on the same input: %v", comdocErr)
	if comdocErr == nil || !strings.HasPrefix(comdocErr.Error(), "panic:") {
		t.Logf("comdoc no longer panics here; cfb.go's rationale may need updating")
	}
}
