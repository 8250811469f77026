package msi

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the reader and asks it everything.
// It must never panic, hang or allocate beyond the input's size, and every
// error must be one of the documented kinds. The seeds are the tiny
// fixture, pieces of it, relic's WiX-built dummy.msi, and any crashers
// found (testdata/fuzz/FuzzOpen; none so far).
func FuzzOpen(f *testing.F) {
	tiny, err := os.ReadFile(filepath.Join("testdata", "tiny.msi"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tiny)
	f.Add(tiny[:len(tiny)/2])
	f.Add(tiny[:512])
	f.Add([]byte{})
	// An MSI written by Windows with 4096-byte sectors, when available.
	if p := relicDummyMSI(f); p != "" {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := openBytes(data)
		if err == nil {
			_, err = readEverything(file)
		}
		if err != nil && !isReaderError(err) {
			t.Fatalf("error of an undocumented kind: %v", err)
		}
	})
}
