package hostile

import "testing"

// TestNames: names Windows refuses, as command-line values.
func TestNames(t *testing.T) {
	Run(t, []Case{
		{
			Name:   "install-cmd unknown file",
			Setup:  func(t *testing.T, dir string) []string { return []string{"install-cmd", "missing.msi"} },
			Code:   1,
			Stderr: []string{"missing.msi"},
			Out:    []string{},
		},
	})
}
