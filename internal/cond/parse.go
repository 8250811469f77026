package cond

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a malformed condition. Col is the 1-based column,
// counted in characters (runes), of the offending token.
type SyntaxError struct {
	Col int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cond: col %d: %s", e.Col, e.Msg)
}

// maxDepth bounds nesting of parentheses and NOT so that hostile input
// cannot exhaust the stack; real conditions (at most 255 characters in
// many columns) come nowhere near it.
const maxDepth = 200

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tInt
	tString
	tCompare
	tLogical // AND OR XOR EQV IMP
	tNot
	tLParen
	tRParen
	tPrefix // % $ ? & !
)

type token struct {
	kind tokKind
	off  int    // byte offset in the source
	text string // source text of the token
	str  string // literal contents, for tString
	cmp  CompareOp
	fold bool
	log  LogicalOp
}

// Parse parses a condition. The empty or all-blank string parses to the
// empty condition, which evaluates to true. Errors are *SyntaxError.
func Parse(src string) (*Condition, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tEOF {
		return &Condition{}, nil
	}
	root, err := p.parseBinary(int(Imp))
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t, `unbalanced ")"`)
		}
		return nil, p.errAt(t, "unexpected "+describe(t)+" after a complete expression")
	}
	return &Condition{Root: root}, nil
}

// MustParse is Parse for conditions known to be valid, such as constants
// in tests; it panics on error.
func MustParse(src string) *Condition {
	c, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return c
}

func col(src string, off int) int {
	return utf8.RuneCountInString(src[:off]) + 1
}

func isSpace(c byte) bool {
	// The SDK does not say; Wine accepts only ' '. Tabs and line breaks
	// are accepted too because authoring tools carry them into the
	// Condition column from multi-line sources.
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func isIdentStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentChar follows the Identifier column type of the MSI database:
// letters, digits, underscores and periods.
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '.' }

var keywords = map[string]token{
	"NOT": {kind: tNot},
	"AND": {kind: tLogical, log: And},
	"OR":  {kind: tLogical, log: Or},
	"XOR": {kind: tLogical, log: Xor},
	"EQV": {kind: tLogical, log: Eqv},
	"IMP": {kind: tLogical, log: Imp},
}

// compareOps is tried longest first; a leading ~ is handled separately.
var compareOps = []struct {
	text string
	op   CompareOp
}{
	{"<>", Ne}, {"<=", Le}, {"<<", StartsWith},
	{">=", Ge}, {"><", Contains}, {">>", EndsWith},
	{"<", Lt}, {">", Gt}, {"=", Eq},
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	errf := func(off int, format string, args ...any) error {
		return &SyntaxError{Col: col(src, off), Msg: fmt.Sprintf(format, args...)}
	}
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, off: i})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case c == '(':
			i++
			toks = append(toks, token{kind: tLParen, off: start, text: "("})
		case c == ')':
			i++
			toks = append(toks, token{kind: tRParen, off: start, text: ")"})
		case c == '"':
			// No escapes exist: the literal ends at the next quote (SDK).
			end := strings.IndexByte(src[i+1:], '"')
			if end < 0 {
				return nil, errf(start, "unterminated string")
			}
			i += end + 2
			toks = append(toks, token{kind: tString, off: start, text: src[start:i], str: src[start+1 : i-1]})
		case c == '!' && i+1 < len(src) && src[i+1] == '=':
			return nil, errf(start, `unknown operator "!="; use "<>"`)
		case c == '%' || c == '$' || c == '?' || c == '&' || c == '!':
			i++
			toks = append(toks, token{kind: tPrefix, off: start, text: src[start:i]})
		case c == '~' || c == '<' || c == '>' || c == '=':
			fold := c == '~'
			j := i
			if fold {
				j++
			}
			var t token
			for _, o := range compareOps {
				if strings.HasPrefix(src[j:], o.text) {
					t = token{kind: tCompare, cmp: o.op, fold: fold}
					j += len(o.text)
					break
				}
			}
			if t.kind != tCompare {
				return nil, errf(start, `"~" must be followed directly by a comparison operator`)
			}
			if t.cmp == Eq && j < len(src) && (src[j] == '=' || src[j] == '<' || src[j] == '>') {
				return nil, errf(start, "unknown operator %q", src[start:j+1])
			}
			i = j
			t.off, t.text = start, src[start:i]
			toks = append(toks, t)
		case isDigit(c) || c == '-' && i+1 < len(src) && isDigit(src[i+1]):
			i++
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			if i < len(src) && isIdentChar(src[i]) {
				j := i
				for j < len(src) && isIdentChar(src[j]) {
					j++
				}
				if src[i] == '.' {
					return nil, errf(start, "floating-point number %q not supported", src[start:j])
				}
				return nil, errf(start, "malformed number %q", src[start:j])
			}
			toks = append(toks, token{kind: tInt, off: start, text: src[start:i]})
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			text := src[start:i]
			t, ok := keywords[strings.ToUpper(text)]
			if !ok {
				t = token{kind: tIdent}
			}
			t.off, t.text = start, text
			toks = append(toks, t)
		default:
			r, size := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, errf(start, "invalid UTF-8 byte %#02x", c)
			}
			return nil, errf(start, "unexpected character %q", r)
		}
	}
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tIdent:
		return "name " + t.text
	case tInt:
		return "integer " + t.text
	case tString:
		return "string " + t.text
	case tCompare:
		return "operator " + t.text
	case tLogical, tNot:
		return "keyword " + strings.ToUpper(t.text)
	}
	return strconv.Quote(t.text)
}

type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Col: col(p.src, t.off), Msg: msg}
}

// parseBinary parses a chain of logical operators binding at least as
// tightly as minPrec, associating to the left (precedence climbing).
func (p *parser) parseBinary(minPrec int) (Expr, error) {
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tLogical || int(t.log) < minPrec {
			return x, nil
		}
		p.next()
		y, err := p.parseBinary(int(t.log) + 1)
		if err != nil {
			return nil, err
		}
		x = &Logical{Op: t.log, X: x, Y: y}
	}
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, fmt.Sprintf("nesting deeper than %d", maxDepth))
	}
	return nil
}

func (p *parser) parseNot() (Expr, error) {
	t := p.peek()
	if t.kind != tNot {
		return p.parseTerm()
	}
	p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	x, err := p.parseNot()
	p.depth--
	if err != nil {
		return nil, err
	}
	return &Not{X: x}, nil
}

func (p *parser) parseTerm() (Expr, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.parseBinary(int(Imp))
		p.depth--
		if err != nil {
			return nil, err
		}
		if r := p.peek(); r.kind != tRParen {
			return nil, p.errAt(r, fmt.Sprintf(`expected ")" to close "(" at col %d, found %s`,
				col(p.src, t.off), describe(r)))
		}
		p.next()
		// The SDK grammar has no comparison of a parenthesised
		// expression: "(1 AND 1) = 2" is an error on Windows too.
		return x, nil
	}
	x, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op.kind != tCompare {
		return x, nil
	}
	p.next()
	y, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Compare{Op: op.cmp, Fold: op.fold, X: x, Y: y}, nil
}

var prefixKinds = map[string]Kind{
	"%": EnvVar, "$": ComponentAction, "?": ComponentInstalled,
	"&": FeatureAction, "!": FeatureInstalled,
}

var prefixWhat = map[string]string{
	"%": "environment variable", "$": "component", "?": "component",
	"&": "feature", "!": "feature",
}

func (p *parser) parseValue() (*Value, error) {
	t := p.next()
	switch t.kind {
	case tIdent:
		return &Value{Kind: Property, Name: t.text}, nil
	case tString:
		return &Value{Kind: Literal, Str: t.str}, nil
	case tInt:
		// The SDK documents no range; Windows Installer holds integers
		// in 32 bits (the bitwise operators speak of high and low
		// 16-bit words), so anything wider is rejected, not wrapped.
		n, err := strconv.ParseInt(t.text, 10, 32)
		if err != nil {
			return nil, p.errAt(t, fmt.Sprintf("integer %s out of 32-bit range", t.text))
		}
		return &Value{Kind: Integer, Int: int32(n)}, nil
	case tPrefix:
		name := p.next()
		if name.kind != tIdent {
			return nil, p.errAt(name, fmt.Sprintf("expected %s name after %q, found %s",
				prefixWhat[t.text], t.text, describe(name)))
		}
		return &Value{Kind: prefixKinds[t.text], Name: name.text}, nil
	}
	return nil, p.errAt(t, "expected a value, found "+describe(t))
}
