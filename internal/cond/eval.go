package cond

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// State is a Windows Installer INSTALLSTATE value, as conditions see it
// through $component, ?component, &feature and !feature.
type State int32

// The INSTALLSTATE values that conditions compare against (msi.h).
const (
	StateUnknown    State = -1 // no action / state not known
	StateBroken     State = 0
	StateAdvertised State = 1
	StateAbsent     State = 2
	StateLocal      State = 3
	StateSource     State = 4
	StateDefault    State = 5
)

// ItemState is the pair of states Windows Installer keeps for a component
// or feature: what is installed now (?Name, !Name) and what the current
// installation will do to it ($Name, &Name; StateUnknown for no action).
type ItemState struct {
	Installed State
	Action    State
}

// Env supplies what a condition reads.
//
// Props holds the session's properties; a missing or nil map means every
// property is undefined, which conditions see as "". Environ, Components
// and Features are optional: when one is nil a condition that reads from it
// fails with an error wrapping ErrNoEnviron or ErrNoState, so a simulation
// never silently guesses installation state. A component or feature absent
// from a non-nil map is unknown to the package: it evaluates like an empty
// string (so "&Missing" is false and "&Missing = 3" is false), which is
// what Windows returns for a feature that does not exist.
type Env struct {
	Props      map[string]string
	Environ    map[string]string // names match case-insensitively
	Components map[string]ItemState
	Features   map[string]ItemState
}

var (
	// ErrNoState is wrapped by evaluation errors for $, ?, & and !
	// references when Env has no component or feature states.
	ErrNoState = errors.New("no installation state supplied")
	// ErrNoEnviron is wrapped by evaluation errors for %VAR references
	// when Env has no environment.
	ErrNoEnviron = errors.New("no environment supplied")
)

// Eval parses and evaluates text in one step.
func Eval(text string, env *Env) (bool, error) {
	c, err := Parse(text)
	if err != nil {
		return false, err
	}
	return c.Eval(env)
}

// Eval evaluates the condition. A nil env is an environment with no
// properties and no state. The empty condition is true.
//
// Values are of three sorts (SDK "Conditional Statement Syntax", checked
// against Wine's conformance tests, which pass on Windows):
//   - integers written in the condition, and component/feature states;
//   - literals ("text"), never converted to integers: 1 = "1" is false;
//   - property and environment values, which are strings that are used as
//     integers when they are, in full, an optional '-' and decimal digits
//     within 32 bits ("-0", "007"; not "+1", " 1", "1.0", "0x1").
//
// A comparison of two integers is numeric, with or without ~. A comparison between an integer
// and a string that is not an integer in that sense is false, except that
// <> is true (SDK). Two strings compare numerically when at least one is a
// property/environment value and both are integers (so with A="7", X="50",
// A <= X is true); otherwise they compare ordinally, by code point, ~
// lower-casing both first (Windows compares UTF-16 code units, which
// orders the same except for characters beyond U+FFFF against
// U+E000..U+FFFF). Substring operators on strings are false when
// the left side is empty and otherwise true when the right side is empty;
// on integers ><, << and >> are the bitwise operators of the SDK. A bare
// value is true when it is a non-empty string or a non-zero integer.
//
// Both sides of AND, OR, ... are always evaluated, so a missing state
// is reported whatever the property values are.
func (c *Condition) Eval(env *Env) (bool, error) {
	if c == nil || c.Root == nil {
		return true, nil
	}
	if env == nil {
		env = &Env{}
	}
	return evalExpr(c.Root, env)
}

func evalExpr(e Expr, env *Env) (bool, error) {
	if isNilNode(e) {
		// Only a hand-built tree can hold one; Parse never does.
		return false, errors.New("cond: nil node in condition tree")
	}
	switch e := e.(type) {
	case *Logical:
		x, err := evalExpr(e.X, env)
		if err != nil {
			return false, err
		}
		y, err := evalExpr(e.Y, env)
		if err != nil {
			return false, err
		}
		switch e.Op {
		case And:
			return x && y, nil
		case Or:
			return x || y, nil
		case Xor:
			return x != y, nil
		case Eqv:
			return x == y, nil
		case Imp:
			return !x || y, nil
		}
		return false, fmt.Errorf("cond: invalid logical operator %v", e.Op)
	case *Not:
		x, err := evalExpr(e.X, env)
		return !x, err
	case *Compare:
		if e.X == nil || e.Y == nil {
			return false, errors.New("cond: nil node in condition tree")
		}
		x, err := evalValue(e.X, env)
		if err != nil {
			return false, err
		}
		y, err := evalValue(e.Y, env)
		if err != nil {
			return false, err
		}
		return compare(e.Op, e.Fold, x, y)
	case *Value:
		v, err := evalValue(e, env)
		if err != nil {
			return false, err
		}
		if v.sort == sortInt {
			return v.i != 0, nil
		}
		return v.s != "", nil
	}
	return false, fmt.Errorf("cond: invalid expression node %T", e)
}

func isNilNode(e Expr) bool {
	switch e := e.(type) {
	case nil:
		return true
	case *Logical:
		return e == nil
	case *Not:
		return e == nil
	case *Compare:
		return e == nil
	case *Value:
		return e == nil
	}
	return false
}

type valSort int

const (
	sortInt valSort = iota
	sortLiteral
	sortSymbol // property or environment value: a string that may convert
)

type val struct {
	sort valSort
	s    string
	i    int32
}

func evalValue(v *Value, env *Env) (val, error) {
	switch v.Kind {
	case Integer:
		return val{sort: sortInt, i: v.Int}, nil
	case Literal:
		return val{sort: sortLiteral, s: v.Str}, nil
	case Property:
		return val{sort: sortSymbol, s: env.Props[v.Name]}, nil
	case EnvVar:
		if env.Environ == nil {
			return val{}, fmt.Errorf("cond: %s: %w", v, ErrNoEnviron)
		}
		return val{sort: sortSymbol, s: lookupFold(env.Environ, v.Name)}, nil
	case ComponentAction, ComponentInstalled, FeatureAction, FeatureInstalled:
		m, what := env.Components, "component"
		if v.Kind == FeatureAction || v.Kind == FeatureInstalled {
			m, what = env.Features, "feature"
		}
		if m == nil {
			return val{}, fmt.Errorf("cond: %s: %w (no %s states)", v, ErrNoState, what)
		}
		st, ok := m[v.Name]
		if !ok {
			// Windows: "&nofeature" is false; Wine models an unknown
			// item as an empty literal, which also makes "= n" false
			// and "<> n" true.
			return val{sort: sortLiteral}, nil
		}
		s := st.Installed
		if v.Kind == ComponentAction || v.Kind == FeatureAction {
			s = st.Action
		}
		return val{sort: sortInt, i: int32(s)}, nil
	}
	return val{}, fmt.Errorf("cond: invalid value kind %d", v.Kind)
}

// lookupFold finds an environment variable the way Windows does, ignoring
// case; an exact match wins, then the first matching name in sorted order
// so the result does not depend on map iteration.
func lookupFold(m map[string]string, name string) string {
	if s, ok := m[name]; ok {
		return s
	}
	var keys []string
	for k := range m {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return m[keys[0]]
}

// toInt reports whether s is an integer in the sense Windows uses for
// property values (Wine's num_from_prop; package.c: "-0" and
// "0000000000000" equal 0, "+0", "0 ", "0x00", "--0", "0.0" do not).
func toInt(s string) (int32, bool) {
	d := strings.TrimPrefix(s, "-")
	if d == "" {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		// Out of range: too wide to be one of the installer's
		// integers, so it stays a string.
		return 0, false
	}
	return int32(n), true
}

func compare(op CompareOp, fold bool, x, y val) (bool, error) {
	if op < Eq || op > EndsWith {
		return false, fmt.Errorf("cond: invalid comparison operator %v", op)
	}
	xi, yi := x.sort == sortInt, y.sort == sortInt
	switch {
	case xi && yi:
		return compareInt(op, x.i, y.i), nil
	case xi || yi:
		// Integer against string: the string converts only if it is a
		// property/environment value; a literal never does
		// (Windows: 1 = "1" and 0 < "100" are false).
		s := x
		if xi {
			s = y
		}
		if s.sort == sortSymbol {
			if n, ok := toInt(s.s); ok {
				if xi {
					return compareInt(op, x.i, n), nil
				}
				return compareInt(op, n, y.i), nil
			}
		}
		return op == Ne, nil
	}
	substr := op == Contains || op == StartsWith || op == EndsWith
	if substr {
		if x.s == "" {
			return false, nil
		}
		if y.s == "" {
			return true, nil
		}
	}
	if x.sort == sortSymbol || y.sort == sortSymbol {
		if a, ok := toInt(x.s); ok {
			if b, ok := toInt(y.s); ok {
				// Windows: one="1234", two="1": one >< two is false
				// (1234 AND 1 = 0), so this applies to substring
				// operators as well.
				return compareInt(op, a, b), nil
			}
		}
	}
	a, b := x.s, y.s
	if fold {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch op {
	case Eq:
		return a == b, nil
	case Ne:
		return a != b, nil
	case Lt:
		return a < b, nil
	case Gt:
		return a > b, nil
	case Le:
		return a <= b, nil
	case Ge:
		return a >= b, nil
	case Contains:
		return strings.Contains(a, b), nil
	case StartsWith:
		return strings.HasPrefix(a, b), nil
	default: // EndsWith
		return strings.HasSuffix(a, b), nil
	}
}

// compareInt applies op to two integers; ~ makes no difference to them.
func compareInt(op CompareOp, a, b int32) bool {
	switch op {
	case Eq:
		return a == b
	case Ne:
		return a != b
	case Lt:
		return a < b
	case Gt:
		return a > b
	case Le:
		return a <= b
	case Ge:
		return a >= b
	case Contains: // SDK: true if the integers have any bits in common
		return a&b != 0
	case StartsWith: // SDK: high 16 bits of the left equal the right
		return int32(uint32(a)>>16) == b
	default: // EndsWith: low 16 bits of the left equal the right
		return a&0xffff == b
	}
}
