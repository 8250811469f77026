package cond

import (
	"errors"
	"strings"
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

// fuzzVocab is what FuzzTokens builds conditions from, so that most inputs
// are well-formed and exercise precedence, comparison and conversion rules
// rather than the lexer's first error.
var fuzzVocab = []string{
	"A", "B", "C", "D", "E", "F", "Installed", "X", "%TEMP", "%n", "$C", "?C", "&F", "!F", "&Nope",
	`""`, `"1"`, `"abc"`, `"ABC"`, `"5.0"`, "0", "1", "-5", "3", "65536", "1234",
	"NOT", "AND", "OR", "XOR", "EQV", "IMP", "not", "Or",
	"(", "(", ")", ")",
	"=", "<>", "<", ">", "<=", ">=", "><", "<<", ">>", "~=", "~<>", "~<", "~><", "~<<", "~>>",
}

// FuzzTokens joins vocabulary tokens chosen by the input bytes and checks
// the same properties as FuzzParse, plus that a fully parenthesised
// rendering of the tree parses back to the same tree.
func FuzzTokens(f *testing.F) {
	f.Add([]byte{0, 27, 1, 28, 2})
	f.Add([]byte{26, 36, 0, 42, 1, 29, 2, 38})
	f.Fuzz(func(t *testing.T, data []byte) {
		var b []byte
		for i, x := range data {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, fuzzVocab[int(x)%len(fuzzVocab)]...)
		}
		src := string(b)
		c, err := Parse(src)
		if err != nil {
			return
		}
		s := c.String()
		c2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, s, err)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Fatalf("round trip of %q through %q differs:\n%s", src, s, diff)
		}
		full := fullParens(c.Root)
		c3, err := Parse(full)
		switch {
		case err != nil && strings.Contains(err.Error(), "nesting deeper than"):
			// The extra parentheses can exceed maxDepth; String
			// never adds any, so the round trip above is unaffected.
		case err != nil:
			t.Fatalf("fully parenthesised %q does not parse: %v", full, err)
		default:
			if diff := cmp.Diff(c, c3); diff != "" {
				t.Fatalf("%q and fully parenthesised %q differ:\n%s", src, full, diff)
			}
		}
		r1, e1 := c.Eval(fuzzEnv)
		r2, e2 := c2.Eval(fuzzEnv)
		if r1 != r2 || (e1 == nil) != (e2 == nil) {
			t.Fatalf("Eval(%q) = %v, %v but Eval(%q) = %v, %v", src, r1, e1, s, r2, e2)
		}
		if e1 == nil && c.Root != nil && r1 != refEval(t, c.Root) {
			t.Fatalf("Eval(%q) = %v disagrees with the reference", src, r1)
		}
	})
}

// fullParens renders e with every operator application parenthesised.
func fullParens(e Expr) string {
	switch e := e.(type) {
	case *Logical:
		return "(" + fullParens(e.X) + " " + e.Op.String() + " " + fullParens(e.Y) + ")"
	case *Not:
		return "(NOT " + fullParens(e.X) + ")"
	case *Compare:
		return "(" + (&Condition{Root: e}).String() + ")"
	case *Value:
		return e.String()
	case nil:
		return "" // the empty condition
	}
	return "<bad>"
}

// refEval re-derives the logical operators from their truth tables as the
// SDK words them, independently of evalExpr's switch.
func refEval(t *testing.T, e Expr) bool {
	switch e := e.(type) {
	case *Logical:
		x, y := refEval(t, e.X), refEval(t, e.Y)
		switch e.Op {
		case And:
			return x && y // "TRUE if both terms are TRUE"
		case Or:
			return x || y // "TRUE if either or both terms are TRUE"
		case Xor:
			return x && !y || !x && y // "TRUE if either but not both"
		case Eqv:
			return x && y || !x && !y // "TRUE if both TRUE or both FALSE"
		case Imp:
			return !x || y // "TRUE if left is FALSE or right is TRUE"
		}
	case *Not:
		return !refEval(t, e.X)
	default:
		ok, err := (&Condition{Root: e}).Eval(fuzzEnv)
		if err != nil {
			t.Fatalf("leaf %v: %v", e, err)
		}
		return ok
	}
	t.Fatalf("bad node %T", e)
	return false
}
