package config_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
)

var problemRE = regexp.MustCompile(`^  f\.yaml:(\d+): \S`)

// FuzzConfig checks that Parse never panics on any bytes, and that each
// problem it reports carries a line inside the input (a message a user can
// act on); the errors without a line are the few whole-file ones.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		good, withVSC, "", "version: 1\n", "version: \"1\"\n", "version: 2\n", "version: 1\nversion: 1\n",
		good + "version: 1\n", good + "  colour: blue\n", "version: 1\nproduct: [a, b]\n", "- a\n- b\n",
		"version: 1\nproduct:\n  name: a\x00b\n", "version: 1\nproduct:\n  name: \"\\uFFFE\"\n", "\xff\xfe",
		"a: &x [*x]\n", "version: 1\nconsole:\n  payload:\n    x64: {a: b}\n", good + "---\nversion: 1\n",
		"version: 1\nproduct: {name: \"$(env.X)\", manufacturer: \"Файл\"}\n", "version: !!binary aGk=\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "f.yaml", dir)
		// YAML breaks lines at "\r\n", "\r" and "\n" (YAML 1.2, 5.4).
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") +
			strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r") + 1
		var ve *config.ValidationError
		switch {
		case err == nil:
			if c == nil {
				t.Fatal("nil config without an error")
			}
			for _, w := range c.Warnings {
				if !strings.HasPrefix(w, "f.yaml:") {
					t.Errorf("warning without a line: %q", w)
				}
			}
		case errors.As(err, &ve):
			if len(ve.Problems) == 0 {
				t.Fatal("a ValidationError without problems")
			}
			for _, p := range ve.Problems {
				m := problemRE.FindStringSubmatch(p)
				if m == nil {
					t.Fatalf("problem without a line: %q", p)
				}
				if n, _ := strconv.Atoi(m[1]); n < 1 || n > lines {
					t.Fatalf("problem line %d outside the input's %d lines: %q", n, lines, p)
				}
			}
		default:
			msg := err.Error()
			if !strings.HasPrefix(msg, "f.yaml:") {
				t.Fatalf("error not located in the file: %q", msg)
			}
			if !regexp.MustCompile(`^f\.yaml:\d+: `).MatchString(msg) &&
				!strings.Contains(msg, "empty config") && !strings.Contains(msg, "want one YAML document") {
				t.Fatalf("error without a line: %q", msg)
			}
		}
	})
}
