package hostile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
)

// consoleMSI builds the example's x64 console MSI into dir/built and
// applies sql to it.
func consoleMSI(t *testing.T, dir string, sql ...string) string {
	t.Helper()
	c, err := config.Load(filepath.Join(dir, "example", "msiforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.Architectures = []string{"x64"}
	c.VSC = nil
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: filepath.Join(dir, "built")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sql) > 0 {
		if err := msitools.Query(context.Background(), execx.OS{}, arts[0].Path, sql...); err != nil {
			t.Fatal(err)
		}
	}
	return arts[0].Path
}

// TestMatrixCases: matrix --check on packages it cannot check (issue 12:
// an MSI without a Property table passed 38 of 38).
func TestMatrixCases(t *testing.T) {
	tools := []string{"wixl", "msibuild", "msiinfo", "makensis"}
	Run(t, []Case{
		{
			Name: "matrix --check of an MSI without a Property table",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"matrix", "--check", consoleMSI(t, dir, "DROP TABLE `Property`")}
			},
			Code:   3,
			Stdout: []string{"the MSI lacks table Property", "property ProductCode", "1 checks, 1 failed"},
			Tools:  tools,
		},
		{
			Name: "matrix --check of an MSI without its RegLocator searches",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"matrix", "--check", consoleMSI(t, dir, "DROP TABLE `RegLocator`")}
			},
			Code:   3,
			Stdout: []string{"the MSI lacks table RegLocator"},
			Tools:  tools,
		},
		{
			Name: "matrix --check --upgrade-from a file that is not an MSI",
			Setup: func(t *testing.T, dir string) []string {
				if err := os.WriteFile(filepath.Join(dir, "old.msi"), []byte("not an msi"), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"matrix", "--check", "--upgrade-from", "old.msi", consoleMSI(t, dir)}
			},
			Code:   1,
			Stderr: []string{"--upgrade-from", "old.msi"},
			Tools:  tools,
		},
		{
			Name: "matrix --defaults with a value other than 0 or 1",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"matrix", "--scenarios", "--defaults", "run_at_startup=2"}
			},
			Code:   2,
			Stderr: []string{`--defaults "run_at_startup=2": want run_at_startup=0|1,should_auto_update=0|1`},
		},
		{
			Name:   "matrix --upgrade-from without --check",
			Setup:  func(t *testing.T, dir string) []string { return []string{"matrix", "--upgrade-from", "old.msi"} },
			Code:   2,
			Stderr: []string{"--upgrade-from needs --check"},
		},
	})
}
