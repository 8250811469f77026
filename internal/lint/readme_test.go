package lint_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/lint"
)

// TestREADMERules fails when the README's rule table is stale. Fix it
// with the table this failure prints, between the markers.
func TestREADMERules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := "<!-- lint:begin (generated from internal/lint) -->\n", "<!-- lint:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q and %q markers", begin, end)
	}
	if got, want := readme[i+len(begin):j], lint.Markdown(); got != want {
		t.Errorf("README.md's lint rule table is stale; replace it with:\n%s", want)
	}
}

// TestRules: IDs unique, every rule cites its reference page and has a
// level and a summary.
func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range lint.Rules() {
		if seen[r.ID] || !strings.HasPrefix(r.URL, "https://learn.microsoft.com/") || r.Summary == "" || (r.Level != lint.Error && r.Level != lint.Warning) {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
}
