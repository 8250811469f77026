package cond

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTree(t *testing.T) {
	prop := func(n string) *Value { return &Value{Kind: Property, Name: n} }
	for _, tc := range []struct {
		src  string
		want Expr
	}{
		{"", nil},
		{"A", prop("A")},
		{`A="x"`, &Compare{Op: Eq, X: prop("A"), Y: &Value{Kind: Literal, Str: "x"}}},
		{"-12 ~<> B", &Compare{Op: Ne, Fold: true, X: &Value{Kind: Integer, Int: -12}, Y: prop("B")}},
		{"A OR B AND C", &Logical{Op: Or, X: prop("A"), Y: &Logical{Op: And, X: prop("B"), Y: prop("C")}}},
		{"A AND B OR C", &Logical{Op: Or, X: &Logical{Op: And, X: prop("A"), Y: prop("B")}, Y: prop("C")}},
		{"A OR B OR C", &Logical{Op: Or, X: &Logical{Op: Or, X: prop("A"), Y: prop("B")}, Y: prop("C")}},
		{"A IMP B IMP C", &Logical{Op: Imp, X: &Logical{Op: Imp, X: prop("A"), Y: prop("B")}, Y: prop("C")}},
		{"A XOR B OR C", &Logical{Op: Xor, X: prop("A"), Y: &Logical{Op: Or, X: prop("B"), Y: prop("C")}}},
		{"A IMP B EQV C", &Logical{Op: Imp, X: prop("A"), Y: &Logical{Op: Eqv, X: prop("B"), Y: prop("C")}}},
		{"NOT A AND B", &Logical{Op: And, X: &Not{X: prop("A")}, Y: prop("B")}},
		{"NOT A = 1", &Not{X: &Compare{Op: Eq, X: prop("A"), Y: &Value{Kind: Integer, Int: 1}}}},
		{"(A OR B) AND C", &Logical{Op: And, X: &Logical{Op: Or, X: prop("A"), Y: prop("B")}, Y: prop("C")}},
		{"$C=3", &Compare{Op: Eq, X: &Value{Kind: ComponentAction, Name: "C"}, Y: &Value{Kind: Integer, Int: 3}}},
		{"?C", &Value{Kind: ComponentInstalled, Name: "C"}},
		{"&F", &Value{Kind: FeatureAction, Name: "F"}},
		{"!F", &Value{Kind: FeatureInstalled, Name: "F"}},
		{"%windir", &Value{Kind: EnvVar, Name: "windir"}},
		{"A.b_1", prop("A.b_1")},
		{"ORDER", prop("ORDER")}, // keywords match whole words only
		{"A>>B", &Compare{Op: EndsWith, X: prop("A"), Y: prop("B")}},
		{"A><B", &Compare{Op: Contains, X: prop("A"), Y: prop("B")}},
		{"A<<B", &Compare{Op: StartsWith, X: prop("A"), Y: prop("B")}},
		{"A\t<=\r\nB", &Compare{Op: Le, X: prop("A"), Y: prop("B")}},
		{`"a(b) AND "`, &Value{Kind: Literal, Str: "a(b) AND "}},
		{`"a<>b" = "é ~"`, &Compare{Op: Eq, X: &Value{Kind: Literal, Str: "a<>b"}, Y: &Value{Kind: Literal, Str: "é ~"}}},
	} {
		c, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		if diff := cmp.Diff(tc.want, c.Root); diff != "" {
			t.Errorf("Parse(%q) tree (-want +got):\n%s", tc.src, diff)
		}
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", ""},
		{"  ", ""},
		{`Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`, `Installed OR ALLUSERS = "" AND SHOULDAUTOUPDATE = "1"`},
		{"(A OR B) AND C", "(A OR B) AND C"},
		{"A OR (B OR C)", "A OR (B OR C)"},
		{"(A OR B) OR C", "A OR B OR C"},
		{"not (a and b)", "NOT (a AND b)"},
		{"not not a", "NOT NOT a"},
		{"(not a) and b", "NOT a AND b"},
		{"a xor (b or c)", "a XOR b OR c"},
		{"(a xor b) or c", "(a XOR b) OR c"},
		{"a imp (b imp c)", "a IMP (b IMP c)"},
		{"((((1))))", "1"},
		{`%x~<>"y"`, `%x ~<> "y"`},
		{"$a=-1 eqv ?b>=2", "$a = -1 EQV ?b >= 2"},
		{"&f><4 Xor !f>>1", "&f >< 4 XOR !f >> 1"},
		{"A ~<< B", "A ~<< B"},
		{"007", "7"},
	} {
		c, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		if got := c.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestReferences(t *testing.T) {
	c := MustParse(`NOT Installed AND (B="" OR A<>B) AND $Comp=3 AND ?Comp AND &Feat AND !Other AND %TEMP AND Installed`)
	if diff := cmp.Diff([]string{"A", "B", "Installed"}, c.Properties()); diff != "" {
		t.Errorf("Properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Comp"}, c.Components()); diff != "" {
		t.Errorf("Components (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Feat", "Other"}, c.Features()); diff != "" {
		t.Errorf("Features (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"TEMP"}, c.EnvVars()); diff != "" {
		t.Errorf("EnvVars (-want +got):\n%s", diff)
	}
	if got := MustParse("").Properties(); got != nil {
		t.Errorf("empty condition Properties = %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// Unterminated strings report the opening quote.
		{`A = "abc`, `cond: col 5: unterminated string`},
		{`"2" < "1.1`, `cond: col 7: unterminated string`},
		// Parentheses.
		{"(A", `cond: col 3: expected ")" to close "(" at col 1, found end of condition`},
		{"((A) AND B", `cond: col 11: expected ")" to close "(" at col 1, found end of condition`},
		{"A)", `cond: col 2: unbalanced ")"`},
		{"(((((1))))))", `cond: col 12: unbalanced ")"`},
		{"()", `cond: col 2: expected a value, found ")"`},
		// Trailing tokens and missing operands.
		{"A B", `cond: col 3: unexpected name B after a complete expression`},
		{"1 IMPL 1", `cond: col 3: unexpected name IMPL after a complete expression`},
		{`A = "x" "y"`, `cond: col 9: unexpected string "y" after a complete expression`},
		{"A = B = C", `cond: col 7: unexpected operator = after a complete expression`},
		{"( 1 AND 1 ) = 2", `cond: col 13: unexpected operator = after a complete expression`},
		{"0 >=", `cond: col 5: expected a value, found end of condition`},
		{"A AND", `cond: col 6: expected a value, found end of condition`},
		{"AND A", `cond: col 1: expected a value, found keyword AND`},
		{"NOT", `cond: col 4: expected a value, found end of condition`},
		{"A OR OR B", `cond: col 6: expected a value, found keyword OR`},
		{"$", `cond: col 2: expected component name after "$", found end of condition`},
		{"&1", `cond: col 2: expected feature name after "&", found integer 1`},
		{"%NOT", `cond: col 2: expected environment variable name after "%", found keyword NOT`},
		// Operators.
		{"0 < > 0", `cond: col 5: expected a value, found operator >`},
		{`"A" ~ = "a"`, `cond: col 5: "~" must be followed directly by a comparison operator`},
		{`~not "A"`, `cond: col 1: "~" must be followed directly by a comparison operator`},
		{"A == B", `cond: col 3: unknown operator "=="`},
		{"A =< B", `cond: col 3: unknown operator "=<"`},
		{"A => B", `cond: col 3: unknown operator "=>"`},
		{`X != ""`, `cond: col 3: unknown operator "!="; use "<>"`},
		{`X !=""  and (X ="5.0")`, `cond: col 3: unknown operator "!="; use "<>"`},
		{"(1<<1) == 2", `cond: col 8: unknown operator "=="`},
		{"A + 1", `cond: col 3: unexpected character '+'`},
		{"A = 'x'", `cond: col 5: unexpected character '\''`},
		// Numbers.
		{"A = 1.5", `cond: col 5: floating-point number "1.5" not supported`},
		{"A = 12abc", `cond: col 5: malformed number "12abc"`},
		{"A = 2147483648", `cond: col 5: integer 2147483648 out of 32-bit range`},
		{"A = -2147483649", `cond: col 5: integer -2147483649 out of 32-bit range`},
		{"A = -B", `cond: col 5: unexpected character '-'`},
		// Columns count characters, not bytes.
		{`"ééé" = 1.0`, `cond: col 9: floating-point number "1.0" not supported`},
		{"A = é", `cond: col 5: unexpected character 'é'`},
		{"A = \xff", `cond: col 5: invalid UTF-8 byte 0xff`},
	} {
		_, err := Parse(tc.src)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", tc.src, tc.want)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T is not *SyntaxError", tc.src, err)
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tc.src, err, tc.want)
		}
		if _, err2 := Eval(tc.src, nil); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Eval(%q) error %v, want the parse error", tc.src, err2)
		}
	}
}

func TestParseDepth(t *testing.T) {
	ok := strings.Repeat("(", maxDepth) + "1" + strings.Repeat(")", maxDepth)
	if _, err := Parse(ok); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	deep := strings.Repeat("(", maxDepth+1) + "1" + strings.Repeat(")", maxDepth+1)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting deeper than") {
		t.Errorf("depth %d: err = %v", maxDepth+1, err)
	}
	nots := strings.Repeat("NOT ", 10000) + "1"
	if _, err := Parse(nots); err == nil || err.Error() != "cond: col 801: nesting deeper than 200" {
		t.Errorf("10000 NOTs: err = %v", err)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on a bad condition")
		}
	}()
	MustParse("(")
}
