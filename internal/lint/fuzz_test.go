package lint_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
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

// TestWiXOnWindowsMSI: an MSI built by WiX 3.10 on Windows (relic's test
// package functest/packages/dummy.msi, from the module cache; WiX runs the
// SDK's ICE validation when it links) lints clean: no rule here reports
// what Windows' ICEs accepted.
func TestWiXOnWindowsMSI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := execx.OS{}.Run(ctx, execx.Cmd{Name: "go", Args: []string{"list", "-m", "-f", "{{.Dir}}", "github.com/sassoftware/relic/v8"}})
	path := ""
	if err == nil {
		path = filepath.Join(strings.TrimSpace(string(res.Stdout)), "functest", "packages", "dummy.msi")
	}
	if _, serr := os.Stat(path); err != nil || serr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("relic's dummy.msi: %v %v", err, serr)
		}
		t.Skipf("relic's dummy.msi not found: %v %v", err, serr)
	}
	fs, err := lint.CheckFile(path, lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Errorf("findings on a WiX-on-Windows MSI: %v", fs)
	}
}
