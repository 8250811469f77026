package msi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging/msi"
)

// TestCompileFailureNamesTheSource: when wixl fails (here it aborts on an
// InstallScope it does not know), the error names the generated source
// and how to see it, not only wixl's exit status (issue 12).
func TestCompileFailureNamesTheSource(t *testing.T) {
	testutil.NeedTool(t, "wixl")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(strings.Replace(wxs, "%s", "", 1), `InstallScope="perUser"`, `InstallScope="bogus"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "product.wxs"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	err := msi.Compile(context.Background(), execx.OS{}, dir, "x86", "product.wxs", "out.msi")
	for _, want := range []string{"compile: wixl crashed (killed by a signal) on the WiX source " + filepath.Join(dir, "product.wxs"), "wixl's last lines:", "invalid InstallScope value: bogus"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
}
