package cond

import (
	"errors"
	"testing"
)

type evalCase struct {
	cond  string
	props map[string]string
	want  bool
}

func runEval(t *testing.T, env *Env, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		e := *env
		if tc.props != nil {
			e.Props = tc.props
		}
		got, err := Eval(tc.cond, &e)
		if err != nil {
			t.Errorf("Eval(%q, %v): %v", tc.cond, tc.props, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Eval(%q, %v) = %v, want %v", tc.cond, tc.props, got, tc.want)
		}
	}
}

func p(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Cases marked "Windows" are from Wine's dlls/msi/tests/package.c
// (test_condition), whose expectations hold on real Windows Installer.
func TestEvalBasics(t *testing.T) {
	runEval(t, &Env{}, []evalCase{
		// The empty condition is true (an empty Condition column).
		{"", nil, true},
		{"   ", nil, true},
		// Bare values: integers non-zero, strings non-empty (Windows).
		{"1", nil, true},
		{"0", nil, false},
		{"-1", nil, true},
		{`"0"`, nil, true},
		{`""`, nil, false},
		{`not "A"`, nil, false},
		{"not 0", nil, true},
		{"(0)", nil, false},
		{"(((((1)))))", nil, true},
		// Undefined properties are empty strings (SDK).
		{"Undefined", nil, false},
		{"NOT Undefined", nil, true},
		{`Undefined = ""`, nil, true},
		{`Installed<>""`, nil, false},
		// A property set to "0" is still set (a string, not a boolean).
		{"P", p("P", "0"), true},
		{"P", p("P", "false"), true},
		{"P", p("P", ""), false},
		// Names are case-sensitive, keywords are not.
		{"installed", p("Installed", "1"), false},
		{"Installed and not Foo", p("Installed", "1"), true},
		{"_1 = _1", nil, true},
	})
}

func TestEvalLogical(t *testing.T) {
	runEval(t, &Env{}, []evalCase{
		{"1 and 2", nil, true},
		{"1 AND 0", nil, false},
		{"0 OR 1", nil, true},
		{"0 Or 0", nil, false},
		{"1 XOR 1", nil, false},
		{"1 XOR 0", nil, true},
		{"0 EQV 0", nil, true},
		{"0 EQV 1", nil, false},
		{"1 IMP 1", nil, true},
		{"1 IMP 0", nil, false},
		{"0 IMP 0", nil, true},
		{"0 IMP 1", nil, true},
		// Precedence, Windows.
		{"not 0 and 3", nil, true},
		{"not 0 and 0", nil, false},
		{"not 0 or 1", nil, true},
		{"NOT 1 OR 0", nil, false},
		{"NOT 1 AND 0", nil, false},
		{"0 AND 1 OR 1", nil, true},
		{"0 AND 0 OR 1", nil, true},
		{"NOT 0 AND 1 OR 0", nil, true},
		{"1 IMP 1 OR 0", nil, true},
		{"NOT ( 1 AND 1 )", nil, false},
		{`NOT A AND (BBBBBBBBBB=2 OR CCC=1) AND Ddddddddd`, nil, false},
		// SDK precedence OR > XOR > EQV > IMP: these differ from plain
		// left-to-right evaluation.
		// (XOR and EQV commute with each other's grouping, so no
		// case can tell them apart.)
		{"1 XOR 1 OR 1", nil, false}, // 1 XOR (1 OR 1); left-to-right: true
		{"0 EQV 0 OR 1", nil, false}, // 0 EQV (0 OR 1); left-to-right: true
		{"0 IMP 1 EQV 0", nil, true}, // 0 IMP (1 EQV 0); left-to-right: false
		{"0 IMP 0 AND 1", nil, true}, // 0 IMP (0 AND 1)
		{"1 OR 1 IMP 0", nil, false}, // (1 OR 1) IMP 0
		{"NOT 1 = 2", nil, true},     // NOT applies to the comparison
		{"NOT NOT 1", nil, true},     // NOT nests
		{"1 AND NOT 0 AND 1", nil, true},
	})
}

func TestEvalIntegers(t *testing.T) {
	runEval(t, &Env{}, []evalCase{
		{"0 = 0", nil, true},
		{"0 <> 0", nil, false},
		{"0 = 1", nil, false},
		{"0 > 1", nil, false},
		{"0 ~> 1", nil, false},
		{"1 ~>= 1", nil, true},
		{"0 < 1", nil, true},
		{"1 <= 1", nil, true},
		{"-5 < 3", nil, true},
		{"2147483647 > -2147483648", nil, true},
		// Bitwise forms (SDK "Bitwise numeric operators").
		{"3 >< 1", nil, true},
		{"3 >< 4", nil, false},
		{"131073 << 2", nil, true}, // 0x00020001: high word 2
		{"131073 << 1", nil, false},
		{"131073 >> 1", nil, true}, // low word 1
		{"131073 >> 2", nil, false},
		{"-1 << 65535", nil, true}, // high word of 0xFFFFFFFF
		{"-1 >> 65535", nil, true},
		{"-1 << -1", nil, false},
		{"6 ~>< 2", nil, true}, // ~ changes nothing for integers
	})
}

func TestEvalStrings(t *testing.T) {
	runEval(t, &Env{}, []evalCase{
		{`"A" < "B"`, nil, true},
		{`"A" > "B"`, nil, false},
		// Literals compare as strings even when they look numeric.
		{`"1" > "12"`, nil, false},
		{`"100" < "21"`, nil, true},
		{`"02.1" < "2.11"`, nil, true},
		{`"A" = "a"`, nil, false},
		{`"A" ~= "a"`, nil, true},
		{`"A" ~<> "a"`, nil, false},
		{`"abc" ~< "ABD"`, nil, true},
		{`"_" ~< "a"`, nil, true}, // folding lower-cases, as _wcsicmp
		// Substring operators.
		{`"ASFD" >< "S"`, nil, true},
		{`"ASFD" >< "s"`, nil, false},
		{`"ASFD" ~>< "s"`, nil, true},
		{`"ASFD" ~>< ""`, nil, true},
		{`"ASFD" ~>< "sss"`, nil, false},
		{`"Testing" ~<< "Testing"`, nil, true},
		{`"Testing" << "Test"`, nil, true},
		{`"Testing" << "test"`, nil, false},
		{`"Testing" ~<< "test"`, nil, true},
		{`"Testing" >> "ing"`, nil, true},
		{`"Testing" ~>> "ING"`, nil, true},
		{`"" >< ""`, nil, false},
		{`LicView ~<< "Testing"`, nil, false},
		{`Not LicView ~<< "Testing"`, nil, true},
		// Two literals that look numeric still compare as strings.
		{`"1234" >< "1"`, nil, true},
	})
}

func TestEvalPropertyConversion(t *testing.T) {
	runEval(t, &Env{}, []evalCase{
		{"mm = 5", p("mm", "5"), true},
		{"mm < 6", p("mm", "5"), true},
		{"mm <= 5", p("mm", "5"), true},
		{"mm > 4", p("mm", "5"), true},
		{"mm < 12", p("mm", "5"), true},
		{`mm = "5"`, p("mm", "5"), true},
		{"5 = mm", p("mm", "5"), true},
		// Unconvertible against an integer: false, except <> (SDK).
		{"bandalmael=0", nil, false},
		{"bandalmael<>0", nil, true},
		{"bandalmael<0", nil, false},
		{"bandalmael>0", nil, false},
		{"bandalmael>=0", nil, false},
		{"bandalmael<=0", nil, false},
		{"bandalmael~<>0", nil, true},
		{"bandalmael=0", p("bandalmael", "0"), true},
		{"bandalmael=0", p("bandalmael", ""), false},
		{"bandalmael=0", p("bandalmael", "asdf"), false},
		{"bandalmael=0", p("bandalmael", "0asdf"), false},
		{"bandalmael=0", p("bandalmael", "0 "), false},
		{"bandalmael=0", p("bandalmael", "-0"), true},
		{"bandalmael=0", p("bandalmael", "0000000000000"), true},
		{"bandalmael=0", p("bandalmael", "--0"), false},
		{"bandalmael=0", p("bandalmael", "0x00"), false},
		{"bandalmael=0", p("bandalmael", "-"), false},
		{"bandalmael=0", p("bandalmael", "+0"), false},
		{"bandalmael=0", p("bandalmael", "0.0"), false},
		{"bandalmael<>0", p("bandalmael", "0.0"), true},
		// Wider than 32 bits: not an integer, so only <> holds.
		{"big = 2147483647", p("big", "2147483647"), true},
		{"big > 0", p("big", "2147483648"), false},
		{"big <> 0", p("big", "2147483648"), true},
		// Literals never convert against integers.
		{`"A" ~= 1`, nil, false},
		{`"A" = 1`, nil, false},
		{` 1 ~= "1" `, nil, false},
		{`1 = "1"`, nil, false},
		{`0 = "1"`, nil, false},
		{`0 < "100"`, nil, false},
		{`100 > "0"`, nil, false},
		{`1 <> "1"`, nil, true},
		{`0 = ""`, nil, false},
		{`0 AND ""`, nil, false},
		{`1 AND ""`, nil, false},
		{`1 AND "1"`, nil, true},
		// Property against property or literal: numeric when both are
		// integers, ordinal strings otherwise (Windows).
		{"2 <= X", p("A", "2", "X", "50"), true},
		{"A <= X", p("A", "2", "X", "50"), true},
		{"A <= X", p("A", "7", "X", "50"), true},
		{"A <= 50", p("A", "7", "X", "50"), true},
		{"2 <= X", p("A", "2", "X", "50val"), false},
		{"A <= X", p("A", "2", "X", "50val"), true},
		{"A <= X", p("A", "7", "X", "50val"), false},
		{`one < "1"`, p("one", "1"), false},
		{`V > "9"`, p("V", "10"), true}, // numeric: 10 > 9
		{`"10" > "9"`, nil, false},      // ordinal: "1" < "9"
		{`X = "5.0"`, p("X", "5.0"), true},
		{`X = "5.1"`, p("X", "5.0"), false},
		{`X ="5.0" or X ="5.1" or X ="6.0"`, p("X", "5.0"), true},
		{`LicView <> "1"`, nil, true},
		{`LicView <> LicView`, nil, false},
		// Undefined against a version-like literal (Windows).
		{`MsiNetAssemblySupport < "1.1.4322"`, nil, true},
		{`MsiNetAssemblySupport > "1.1.4322"`, nil, false},
		{`MsiNetAssemblySupport >= "1.1.4322"`, nil, false},
		{`MsiNetAssemblySupport <> "1.1.4322"`, nil, true},
		{`MsiNetAssemblySupport < "1.1.5"`, p("MsiNetAssemblySupport", "1.1.4322"), true},
		{`MsiNetAssemblySupport < "1.1"`, p("MsiNetAssemblySupport", "1.1.4322"), false},
		// Substring operators on properties (Windows).
		{"one >< two", p("one", "hi", "two", "hithere"), false},
		{"one >< two", p("one", "hithere", "two", "hi"), true},
		{"one >< two", p("one", "hello", "two", "hi"), false},
		{"one >< two", p("one", "hellohithere", "two", "hi"), true},
		{"one >< two", p("one", "", "two", "hi"), false},
		{"one >< two", p("one", "hi", "two", ""), true},
		{"one >< two", p("one", "", "two", ""), false},
		{"one >< two", p("one", "1234", "two", "1"), false}, // 1234 & 1
		{"one >< two", p("one", "one 1234", "two", "1"), true},
		{"one << two", p("one", "hithere", "two", "hi"), true},
		{"one << two", p("one", "hi", "two", "hithere"), false},
		{"one << two", p("one", "hi", "two", "hi"), true},
		{"one << two", p("one", "abcdhithere", "two", "hi"), false},
		{"one << two", p("one", "", "two", "hi"), false},
		{"one << two", p("one", "hithere", "two", ""), true},
		{"one << two", p("one", "1234", "two", "1"), false}, // high word 0
		{"one << two", p("one", "1234 one", "two", "1"), true},
		{"one >> two", p("one", "hithere", "two", "there"), true},
		{"one >> two", p("one", "hithere", "two", "hi"), false},
		{"one >> two", p("one", "there", "two", "hithere"), false},
		{"one >> two", p("one", "there", "two", "there"), true},
		{"one >> two", p("one", "there", "two", ""), true},
		{"one >> two", p("one", "1234", "two", "4"), false}, // low word 1234
		{"one >> two", p("one", "one 1234", "two", "4"), true},
		{"VersionNT >< 2", p("VersionNT", "6"), true}, // 6 & 2
		// Typical authoring.
		{`Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`, p("SHOULDAUTOUPDATE", "1"), true},
		{`Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`, p("ALLUSERS", "1", "SHOULDAUTOUPDATE", "1"), false},
		{`Installed OR (ALLUSERS="" AND SHOULDAUTOUPDATE="1")`, p("Installed", "00:00:00"), true},
		{"VersionNT >= 601", p("VersionNT", "603"), true},
		{"VersionNT64", p("VersionNT", "603"), false},
		{`NOT REMOVE~="ALL"`, p("REMOVE", "all"), false},
		{`REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE`, p("REMOVE", "ALL"), true},
	})
}

func TestEvalStates(t *testing.T) {
	env := &Env{
		Environ: map[string]string{"PROCESSOR_ARCHITECTURE": "AMD64", "Path": `C:\Windows`},
		Components: map[string]ItemState{
			"MainExe": {Installed: StateAbsent, Action: StateLocal},
			"Old":     {Installed: StateLocal, Action: StateAbsent},
		},
		Features: map[string]ItemState{
			"Complete": {Installed: StateAbsent, Action: StateLocal},
			"Docs":     {Installed: StateLocal, Action: StateUnknown},
		},
	}
	runEval(t, env, []evalCase{
		{"$MainExe = 3", nil, true},
		{"$MainExe > 2", nil, true},
		{"?MainExe = 2", nil, true},
		{"?Old = 3 AND $Old = 2", nil, true},
		{"&Complete = 3", nil, true},
		{"!Complete = 2", nil, true},
		{"&Docs = -1", nil, true},
		{"!Docs = 3", nil, true},
		{"&Docs", nil, true}, // -1 is non-zero
		{"NOT &Docs = 2", nil, true},
		{"& Complete = 3", nil, true}, // blanks between prefix and name
		// Unknown items behave as empty strings (Windows: "&nofeature"
		// is false).
		{"&nofeature", nil, false},
		{"&nofeature = 3", nil, false},
		{"&nofeature <> 3", nil, true},
		{"$nocomp = -1", nil, false},
		// Environment variables: names ignore case, values do not.
		{`%PROCESSOR_ARCHITECTURE = "AMD64"`, nil, true},
		{`%processor_architecture = "AMD64"`, nil, true},
		{`%PROCESSOR_ARCHITECTURE = "amd64"`, nil, false},
		{`%PATH >< "Windows"`, nil, true},
		{`%UNSET = ""`, nil, true},
		{`%UNSET`, nil, false},
	})
}

func TestEvalMissingState(t *testing.T) {
	for _, tc := range []struct {
		cond string
		want error
		msg  string
	}{
		{"$C = 3", ErrNoState, "cond: $C: no installation state supplied (no component states)"},
		{"?C", ErrNoState, "cond: ?C: no installation state supplied (no component states)"},
		{"&F = 3", ErrNoState, "cond: &F: no installation state supplied (no feature states)"},
		{"1 OR !F", ErrNoState, "cond: !F: no installation state supplied (no feature states)"},
		{`%TEMP = ""`, ErrNoEnviron, "cond: %TEMP: no environment supplied"},
	} {
		for _, env := range []*Env{nil, {Props: p("A", "1")}} {
			got, err := Eval(tc.cond, env)
			if !errors.Is(err, tc.want) || err.Error() != tc.msg {
				t.Errorf("Eval(%q) = %v, %v; want error %q", tc.cond, got, err, tc.msg)
			}
		}
	}
	// Supplying only components still refuses features, and vice versa.
	if _, err := Eval("&F", &Env{Components: map[string]ItemState{}}); !errors.Is(err, ErrNoState) {
		t.Errorf("features without state: err = %v", err)
	}
	if ok, err := Eval("$C", &Env{Components: map[string]ItemState{}}); err != nil || ok {
		t.Errorf("empty component map: %v, %v; want false, nil", ok, err)
	}
}

func TestEvalNilCondition(t *testing.T) {
	var c *Condition
	if ok, err := c.Eval(nil); !ok || err != nil {
		t.Errorf("nil condition: %v, %v", ok, err)
	}
	if s := c.String(); s != "" {
		t.Errorf("nil condition String = %q", s)
	}
}

// Hand-built trees with holes must fail cleanly, not panic.
func TestHandBuiltNilNodes(t *testing.T) {
	var nilNot *Not
	var nilValue *Value
	for _, root := range []Expr{
		nilNot,
		nilValue,
		&Logical{Op: And, X: &Value{Kind: Integer, Int: 1}},
		&Not{},
		&Compare{Op: Eq, X: &Value{Kind: Integer}},
		&Compare{Op: 99, X: &Value{Kind: Integer}, Y: &Value{Kind: Integer}},
		&Logical{Op: 99, X: &Value{Kind: Integer}, Y: &Value{Kind: Integer}},
		&Value{Kind: 99},
	} {
		c := &Condition{Root: root}
		if _, err := c.Eval(fuzzEnv); err == nil {
			t.Errorf("Eval(%#v) succeeded", root)
		}
		_ = c.String()
		_ = c.Properties()
	}
}
