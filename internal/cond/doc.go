// Package cond parses and evaluates the Windows Installer condition language:
// the expressions found in LaunchCondition.Condition, Component.Condition,
// Condition.Condition (feature levels), ControlCondition, ControlEvent and the
// Condition column of the sequence tables, i.e. what MsiEvaluateCondition
// accepts.
//
// msiforge uses it to simulate, without Windows, which launch conditions
// block, which components are installed and which actions run, so the
// semantics follow the Windows Installer SDK page "Conditional Statement
// Syntax" (https://learn.microsoft.com/windows/win32/msi/conditional-statement-syntax)
// and, where that page is silent, the behaviour Wine's conformance tests
// (dlls/msi/tests/package.c, test_condition) record for real Windows.
//
// The grammar, with precedence from loosest to tightest binding
// (the SDK lists "Not, And, Or, Xor, Eqv, Imp" from highest to lowest;
// binary operators associate to the left):
//
//	condition := [ imp ]
//	imp       := eqv  { IMP eqv }
//	eqv       := xor  { EQV xor }
//	xor       := or   { XOR or }
//	or        := and  { OR and }
//	and       := not  { AND not }
//	not       := NOT not | term
//	term      := value [ compare-op value ] | "(" imp ")"
//	value     := property | %env | $component | ?component
//	           | &feature | !feature | "literal" | integer
//	compare-op:= [~] ( = | <> | < | > | <= | >= | >< | << | >> )
//
// Wine's parser puts OR, XOR, EQV and IMP on one level, evaluated left to
// right; this package follows the SDK instead. The two differ only when IMP
// or EQV is followed by a tighter operator ("1 XOR 1 OR 1" is false here,
// true left to right); XOR and EQV regroup freely, so their relative order
// never changes a result.
//
// Names (properties, environment variables, components, features) are MSI
// identifiers: a letter or underscore, then letters, digits, underscores
// and periods. Integers are decimal with an optional leading '-' and must
// fit in 32 bits; there are no floating-point numbers. Literals run from a
// quote to the next quote with no escapes, as the SDK says. Blanks are
// spaces, tabs and line breaks. Operators must be written without blanks
// inside them ("< >" and "~ =" are errors, as on Windows).
//
// Keywords are case-insensitive; property, component and feature names are
// case-sensitive; environment variable names are not. An empty (or
// all-blank) condition is true, as Windows Installer treats an empty
// Condition column.
//
// See [Condition.Eval] for the value and comparison rules.
package cond
