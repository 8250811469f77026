//go:build unix

package hostile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReleaseFIFO: a FIFO planted as the output directory's manifest.json
// does not block the build, which refuses the directory.
func TestReleaseFIFO(t *testing.T) {
	Run(t, []Case{{
		Name: "manifest.json is a FIFO",
		Setup: func(t *testing.T, dir string) []string {
			os.MkdirAll(filepath.Join(dir, "out"), 0o755)
			if err := syscall.Mkfifo(filepath.Join(dir, "out", "manifest.json"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
		},
		Code:   1,
		Stderr: []string{"is not an msiforge release (manifest.json is not a regular file)"},
		Out:    []string{"manifest.json"},
	}})
}
