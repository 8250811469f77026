package cond

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var fuzzEnv = &Env{
	Props: map[string]string{
		"A": "1", "B": "abc", "C": "-5", "D": "", "E": "0", "F": "1234",
		"Installed": "00:00:00", "VersionNT": "603", "X": "5.0",
	},
	Environ:    map[string]string{"TEMP": `C:\Temp`, "n": "7"},
	Components: map[string]ItemState{"C": {Installed: StateAbsent, Action: StateLocal}},
	Features:   map[string]ItemState{"F": {Installed: StateLocal, Action: StateUnknown}},
}

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxError with a column inside the input, that String round-trips to
// an equal tree, and that evaluation of the original and re-parsed trees
// agrees.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "A", "NOT Installed", `Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`,
		"A IMP B EQV C XOR D OR E AND NOT F", "(A OR B) AND C", "a imp (b imp c)",
		`%TEMP ~>< "temp"`, "$C = 3 AND ?C = 2", "&F = -1 OR !F >> 3",
		"VersionNT >= 601", "F >< A", "F << 0", `"x" ~<< B`, `A = "unterminated`,
		"((1)", "1 IMPL 1", "A == B", "A != B", "1.5", "2147483648", "-2147483648",
		"NOT NOT NOT A", "A\t=\nB", "é", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v is not *SyntaxError", src, err, err)
			}
			if n := utf8.RuneCountInString(src); se.Col < 1 || se.Col > n+1 {
				t.Fatalf("Parse(%q): col %d outside 1..%d", src, se.Col, n+1)
			}
			return
		}
		s := c.String()
		c2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, s, err)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Fatalf("Parse(%q) round trip through %q differs (-first +second):\n%s", src, s, diff)
		}
		if s2 := c2.String(); s2 != s {
			t.Fatalf("String not stable: %q then %q", s, s2)
		}
		for _, env := range []*Env{fuzzEnv, nil} {
			r1, e1 := c.Eval(env)
			r2, e2 := c2.Eval(env)
			if r1 != r2 || (e1 == nil) != (e2 == nil) {
				t.Fatalf("Eval(%q) = %v, %v but Eval(%q) = %v, %v", src, r1, e1, s, r2, e2)
			}
		}
		c.Properties()
		c.Components()
	})
}
