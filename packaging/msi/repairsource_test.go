package msi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging/msi"
)

// tinyMSI compiles the tiny test package (one component C, no RemoveFile
// table: it has no RemoveFolder) with the real wixl.
func tinyMSI(t *testing.T) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(strings.Replace(wxs, "%s", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := msi.Compile(context.Background(), execx.OS{}, dir, "x86", "p.wxs", "out.msi"); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "out.msi")
}

// TestRemoveCacheFolderFix: the fix-up creates the RemoveFile table when
// wixl wrote none, adds the two rows (every file, then the folder) and
// proves them by reading the table back; a package where a row went
// missing, or whose component became conditional, fails the check.
func TestRemoveCacheFolderFix(t *testing.T) {
	ctx := context.Background()
	run := execx.OS{}
	path := tinyMSI(t)
	fix := msi.FixRemoveCacheFolder("C", "SetupCacheDir", "Example 1.0.0 x86.msi")
	if err := msi.ApplyFixes(ctx, run, path, []msi.Fix{fix}); err != nil {
		t.Fatal(err)
	}
	tab, err := msi.ReadTable(path, "RemoveFile")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tab.Rows {
		got = append(got, strings.Join(r, "|"))
	}
	want := []string{"SetupCacheFiles|C|*|SetupCacheDir|2", "SetupCacheMSI|C|SETUP~1.MSI|Example 1.0.0 x86.msi|SetupCacheDir|2", "SetupCacheFolder|C||SetupCacheDir|2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("RemoveFile rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	t.Run("row missing", func(t *testing.T) {
		p := copyMSI(t, path)
		if err := msitools.Query(ctx, run, p, "DELETE FROM `RemoveFile` WHERE `FileKey` = 'SetupCacheFolder'"); err != nil {
			t.Fatal(err)
		}
		if err := fix.Check(ctx, run, p); err == nil || !strings.Contains(err.Error(), "SetupCacheFolder") {
			t.Errorf("check: %v, want an error naming SetupCacheFolder", err)
		}
	})
	t.Run("conditional component", func(t *testing.T) {
		p := copyMSI(t, path)
		if err := msitools.Query(ctx, run, p, "UPDATE `Component` SET `Condition` = 'RUNATSTARTUP=\"1\"' WHERE `Component` = 'C'"); err != nil {
			t.Fatal(err)
		}
		if err := fix.Check(ctx, run, p); err == nil || !strings.Contains(err.Error(), "outlive an uninstall") {
			t.Errorf("check: %v, want the conditional-component error", err)
		}
	})
}

func copyMSI(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "copy.msi")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
