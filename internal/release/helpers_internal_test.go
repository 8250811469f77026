package release

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/packaging"
)

// stagedArtifacts describes files already in dir as built artifacts.
func stagedArtifacts(t *testing.T, dir string, names ...string) []packaging.Artifact {
	t.Helper()
	var arts []packaging.Artifact
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		arts = append(arts, packaging.Artifact{Path: filepath.Join(dir, n), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))})
	}
	return arts
}
