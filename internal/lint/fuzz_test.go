package lint_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/lint"
	"github.com/msiforge/msiforge/internal/msi"
)

// FuzzCheck: no input that internal/msi opens makes a rule panic or hang
// (a Directory cycle, missing columns, odd integers). Seeded with the
// committed tiny.msi, which has custom actions, services and registry rows.
func FuzzCheck(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("..", "msi", "testdata", "tiny.msi"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := msi.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		_, _ = lint.Check(file, lint.Options{})
	})
}

// TestTinyMSI: the committed tiny.msi (built by wixl, with a DLL custom
// action and a type-51 action carrying the no-impersonate bit) lints to
// exactly the two ICE68 warnings those actions earn.
func TestTinyMSI(t *testing.T) {
	fs, err := lint.CheckFile(filepath.Join("..", "msi", "testdata", "tiny.msi"), lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Rule != "ICE68" || fs[0].Key != "DllCa" || fs[1].Key != "SetStamp" || lint.Errors(fs) != 0 {
		t.Errorf("findings %v", fs)
	}
}
