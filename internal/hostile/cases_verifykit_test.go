package hostile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVerifyKit: verify-kit's -o never deletes what is not a kit, and
// compare refuses results and expectations it cannot read, by name.
func TestVerifyKit(t *testing.T) {
	write := func(t *testing.T, path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, []Case{
		{
			Name: "-o a folder that is not a kit is refused, not replaced",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"verify-kit", "--msi", "example/msiforge.yaml", "-o", "example"}
			},
			Code:   1,
			Stderr: []string{"-o example: a folder that is neither empty nor a verification kit (no verify.cmd)"},
		},
		{
			Name: "-o an existing file is refused",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"verify-kit", "--msi", "example/msiforge.yaml", "-o", "example/msiforge.yaml"}
			},
			Code:   1,
			Stderr: []string{"-o example/msiforge.yaml: exists and is not a folder"},
		},
		{
			Name: "compare of a file that is not results",
			Setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "k", "results.txt"), "\x00\xff<script>\n")
				return []string{"verify-kit", "compare", "k/results.txt"}
			},
			Code:   1,
			Stderr: []string{"k/results.txt: line 1:", "is not a results line the kit writes"},
		},
		{
			Name: "compare without expected.json beside the results",
			Setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "k", "results.txt"), "kit 1\nhost windows\n")
				return []string{"verify-kit", "compare", "k/results.txt"}
			},
			Code:   1,
			Stderr: []string{"the kit's expected.json must be beside the results file"},
		},
		{
			Name: "compare with a broken expected.json",
			Setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "k", "results.txt"), "kit 1\nhost windows\n")
				write(t, filepath.Join(dir, "k", "expected.json"), `{"format": "one"`)
				return []string{"verify-kit", "compare", "k/results.txt"}
			},
			Code:   1,
			Stderr: []string{"k/expected.json:"},
		},
	})
}
