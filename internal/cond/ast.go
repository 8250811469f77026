package cond

import (
	"slices"
	"strconv"
	"strings"
)

// Condition is a parsed condition. A nil Root is the empty condition, which
// is true.
type Condition struct {
	Root Expr
}

// Expr is a node of the condition tree: *Logical, *Not, *Compare or *Value.
type Expr interface {
	exprNode()
}

// LogicalOp is a binary logical operator.
type LogicalOp int

// The logical operators, from loosest to tightest binding; the numeric order
// is the precedence used by the parser and by String.
const (
	Imp LogicalOp = iota + 1 // true unless X is true and Y false
	Eqv                      // true when X and Y agree
	Xor                      // true when exactly one is true
	Or
	And
)

var logicalNames = [...]string{Imp: "IMP", Eqv: "EQV", Xor: "XOR", Or: "OR", And: "AND"}

func (op LogicalOp) String() string {
	if op < Imp || op > And {
		return "LogicalOp(" + strconv.Itoa(int(op)) + ")"
	}
	return logicalNames[op]
}

// Logical is X op Y.
type Logical struct {
	Op   LogicalOp
	X, Y Expr
}

// Not is NOT X.
type Not struct {
	X Expr
}

// CompareOp is a comparison operator, without its ~ prefix.
type CompareOp int

// The comparison operators. On two integers Contains is a bitwise AND test,
// StartsWith compares the high 16 bits of X with Y and EndsWith the low 16
// bits (SDK, "Bitwise numeric operators").
const (
	Eq         CompareOp = iota + 1 // =
	Ne                              // <>
	Lt                              // <
	Gt                              // >
	Le                              // <=
	Ge                              // >=
	Contains                        // ><
	StartsWith                      // <<
	EndsWith                        // >>
)

var compareNames = [...]string{Eq: "=", Ne: "<>", Lt: "<", Gt: ">", Le: "<=", Ge: ">=",
	Contains: "><", StartsWith: "<<", EndsWith: ">>"}

func (op CompareOp) String() string {
	if op < Eq || op > EndsWith {
		return "CompareOp(" + strconv.Itoa(int(op)) + ")"
	}
	return compareNames[op]
}

// Compare is X op Y; Fold is the ~ prefix (case-insensitive string
// comparison).
type Compare struct {
	Op   CompareOp
	Fold bool
	X, Y *Value
}

// Kind says what a Value refers to.
type Kind int

// Value kinds; the comments give the source syntax.
const (
	Property           Kind = iota + 1 // Name
	EnvVar                             // %Name
	ComponentAction                    // $Name: the component's action state
	ComponentInstalled                 // ?Name: the component's installed state
	FeatureAction                      // &Name: the feature's action state
	FeatureInstalled                   // !Name: the feature's installed state
	Literal                            // "Str"
	Integer                            // Int
)

var kindPrefix = [...]string{Property: "", EnvVar: "%", ComponentAction: "$",
	ComponentInstalled: "?", FeatureAction: "&", FeatureInstalled: "!"}

// Value is an operand. Name is set for the symbol kinds, Str for Literal and
// Int for Integer. A Value on its own is also a condition: true when it is a
// non-empty string or a non-zero integer.
type Value struct {
	Kind Kind
	Name string
	Str  string
	Int  int32
}

func (*Logical) exprNode() {}
func (*Not) exprNode()     {}
func (*Compare) exprNode() {}
func (*Value) exprNode()   {}

// String returns the canonical form: upper-case keywords, single spaces,
// and parentheses only where precedence needs them. Parse(c.String())
// yields a Condition equal to c for any c that Parse returned.
func (c *Condition) String() string {
	if c == nil || c.Root == nil {
		return ""
	}
	var b strings.Builder
	writeExpr(&b, c.Root)
	return b.String()
}

func (v *Value) String() string {
	switch v.Kind {
	case Literal:
		// There is no escape for '"' in the condition language, so a
		// literal holding one cannot be written; Parse never makes one.
		return `"` + v.Str + `"`
	case Integer:
		return strconv.Itoa(int(v.Int))
	case Property, EnvVar, ComponentAction, ComponentInstalled, FeatureAction, FeatureInstalled:
		return kindPrefix[v.Kind] + v.Name
	}
	return "<bad value kind " + strconv.Itoa(int(v.Kind)) + ">"
}

// prec gives the binding strength of e as an operand; higher binds tighter.
func prec(e Expr) int {
	switch e := e.(type) {
	case *Logical:
		return int(e.Op)
	case *Not:
		return int(And) + 1
	}
	return int(And) + 2 // comparisons, values: never need parentheses
}

func writeExpr(b *strings.Builder, e Expr) {
	if isNilNode(e) {
		b.WriteString("<nil>")
		return
	}
	switch e := e.(type) {
	case *Logical:
		p := int(e.Op)
		// Left associativity: the left operand needs parentheses only
		// when it binds looser, the right one also when it binds equally.
		writeOperand(b, e.X, prec(e.X) < p)
		b.WriteString(" " + e.Op.String() + " ")
		writeOperand(b, e.Y, prec(e.Y) <= p)
	case *Not:
		b.WriteString("NOT ")
		writeOperand(b, e.X, prec(e.X) < prec(e))
	case *Compare:
		if e.X == nil || e.Y == nil {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(e.X.String())
		b.WriteByte(' ')
		if e.Fold {
			b.WriteByte('~')
		}
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		b.WriteString(e.Y.String())
	case *Value:
		b.WriteString(e.String())
	}
}

func writeOperand(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeExpr(b, e)
	if paren {
		b.WriteByte(')')
	}
}

// Properties returns the names of the properties the condition reads,
// sorted and without duplicates.
func (c *Condition) Properties() []string { return c.names(Property) }

// EnvVars returns the environment variable names (%Name) the condition
// reads, sorted and without duplicates, as written.
func (c *Condition) EnvVars() []string { return c.names(EnvVar) }

// Components returns the components whose state ($Name, ?Name) the
// condition reads, sorted and without duplicates.
func (c *Condition) Components() []string { return c.names(ComponentAction, ComponentInstalled) }

// Features returns the features whose state (&Name, !Name) the condition
// reads, sorted and without duplicates.
func (c *Condition) Features() []string { return c.names(FeatureAction, FeatureInstalled) }

func (c *Condition) names(kinds ...Kind) []string {
	if c == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	visitValue := func(v *Value) {
		if v == nil {
			return
		}
		for _, k := range kinds {
			if v.Kind == k && !seen[v.Name] {
				seen[v.Name] = true
				out = append(out, v.Name)
			}
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		if isNilNode(e) {
			return
		}
		switch e := e.(type) {
		case *Logical:
			walk(e.X)
			walk(e.Y)
		case *Not:
			walk(e.X)
		case *Compare:
			visitValue(e.X)
			visitValue(e.Y)
		case *Value:
			visitValue(e)
		}
	}
	walk(c.Root)
	slices.Sort(out)
	return out
}
