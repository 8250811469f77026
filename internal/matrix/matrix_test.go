package matrix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/matrix"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		allUsers, au string
		scope        string
		autoUpdate   bool
		warns        bool
	}{
		{"", "0", "per-user", false, false},
		{"", "1", "per-user", true, false},
		{"1", "0", "per-machine", false, false},
		{"1", "1", "per-machine", false, true},
	}
	for _, tt := range tests {
		r, err := matrix.Decide(tt.allUsers, tt.au)
		if err != nil {
			t.Fatal(err)
		}
		if r.Scope != tt.scope || r.AutoUpdate != tt.autoUpdate || (r.Warning != "") != tt.warns {
			t.Errorf("Decide(%q, %q) = %+v", tt.allUsers, tt.au, r)
		}
	}
	if _, err := matrix.Decide("2", "0"); err == nil || !strings.Contains(err.Error(), `ALLUSERS is "" or 1`) {
		t.Errorf("Decide(2, 0) err = %v", err)
	}
}

// TestREADMETables fails when the README's generated tables are stale.
// Fix it by pasting the tables the failure prints between the markers.
func TestREADMETables(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, block := range []struct{ name, want string }{
		{"properties", matrix.PropertiesMarkdown()},
		{"matrix", matrix.Markdown()},
	} {
		begin, end := "<!-- "+block.name+":begin (generated from internal/matrix) -->\n", "<!-- "+block.name+":end -->"
		i, j := strings.Index(readme, begin), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Errorf("README.md lacks the %q and %q markers", begin, end)
			continue
		}
		if got := readme[i+len(begin) : j]; got != block.want {
			t.Errorf("README.md's %s table is stale; replace it with:\n%s", block.name, block.want)
		}
	}
}
