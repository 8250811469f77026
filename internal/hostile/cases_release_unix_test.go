//go:build unix

package hostile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReleaseFIFO: a FIFO planted as the output directory's manifest.json
// does not block the build, which refuses to overwrite it: it is not a
// file msiforge wrote.
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
		Stderr: []string{"holds manifest.json, which msiforge did not write"},
		Out:    []string{"manifest.json"},
		Tools:  buildTools, // the preflight comes first
	}})
}
