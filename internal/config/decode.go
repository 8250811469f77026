package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The decoder's own checks, made before the YAML library sees the text or
// converts it, so every finding has a line and a field, and one bad key
// does not hide the rest: the raw bytes (characters YAML refuses), then
// the node tree (duplicate and unknown keys), then the types.

// scanRaw finds the characters a YAML document may not hold (YAML 1.2's
// c-printable set: tab, line feed, carriage return, U+0020-U+007E, U+0085,
// U+00A0-U+D7FF, U+E000-U+FFFD, U+10000 and up) and invalid UTF-8, one
// problem per line, naming the line, the key the line starts with when
// there is one, and the code point or byte.
func scanRaw(data []byte) []problem {
	var out []problem
	keys := &keyPath{}
	for n, line := range strings.SplitAfter(string(data), "\n") {
		lineNo := n + 1
		path := keys.feed(line)
		for col := 0; col < len(line); {
			r, size := utf8.DecodeRuneInString(line[col:])
			what := ""
			switch {
			case r == utf8.RuneError && size == 1:
				what = fmt.Sprintf("the byte 0x%02X, which is not valid UTF-8 (save the file as UTF-8)", line[col])
			case r == 0xFEFF && lineNo == 1 && col == 0: // a byte-order mark
			case !yamlPrintable(r):
				what = fmt.Sprintf("%s, which a YAML file may not hold (write it as an escape in a double-quoted string if it is really wanted, e.g. \"\\u%04X\")", describeRune(r), r)
			}
			if what != "" {
				where := ""
				if path != "" {
					where = path + ": "
				}
				out = append(out, problem{line: lineNo, msg: fmt.Sprintf("%scolumn %d: %s", where, utf8.RuneCountInString(line[:col])+1, what)})
				break
			}
			col += size
		}
	}
	return out
}

func yamlPrintable(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 && r <= 0x10FFFF
}

// describeRune names a code point for a message: "U+0000 (NUL)".
func describeRune(r rune) string {
	name := ""
	switch {
	case r == 0:
		name = "NUL"
	case r < 0x20 || r == 0x7F:
		name = "a control character"
	case r >= 0x80 && r <= 0x9F:
		name = "a C1 control character"
	case r == 0x2028 || r == 0x2029:
		name = "a line or paragraph separator"
	case isBidiControl(r):
		name = "a bidirectional text control"
	case r == 0xFFFE || r == 0xFFFF:
		name = "a noncharacter"
	default:
		return fmt.Sprintf("U+%04X (%c)", r, r)
	}
	return fmt.Sprintf("U+%04X (%s)", r, name)
}

func isBidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// keyPath follows block-style keys by indentation, well enough to name
// the field of a line the YAML parser cannot read ("product.description").
type keyPath struct {
	stack []struct {
		indent int
		key    string
	}
}

var keyLineRE = regexp.MustCompile(`^( *)(?:- +)?([A-Za-z_][A-Za-z0-9_]*) *:(?: |$|\r?\n)`)

func (k *keyPath) feed(line string) string {
	m := keyLineRE.FindStringSubmatch(line)
	if m == nil {
		if len(k.stack) == 0 {
			return ""
		}
		return k.path()
	}
	indent := len(m[1])
	for len(k.stack) > 0 && k.stack[len(k.stack)-1].indent >= indent {
		k.stack = k.stack[:len(k.stack)-1]
	}
	k.stack = append(k.stack, struct {
		indent int
		key    string
	}{indent, m[2]})
	return k.path()
}

func (k *keyPath) path() string {
	parts := make([]string, len(k.stack))
	for i, e := range k.stack {
		parts[i] = e.key
	}
	return strings.Join(parts, ".")
}

// shape walks the document against the Config type: it reports
// duplicate keys (naming both lines) and unknown keys (naming the known
// ones), removes both from the tree so decoding can go on, and records the
// field path of every value's line for the type errors.
type shape struct {
	errs  []problem
	paths map[int]string       // line → field path of the value on it
	types map[int]reflect.Type // line → the Go type wanted there
}

func (s *shape) walk(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	s.paths[n.Line], s.types[n.Line] = path, t // the innermost value of a line wins
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f
			names = append(names, tag)
		}
		s.mapping(n, path, func(key *yaml.Node, value *yaml.Node) bool {
			if key.Tag == "!!merge" { // "<<: *anchor": the decoder merges it
				return true
			}
			f, ok := fields[key.Value]
			if !ok {
				where := "the top level"
				if path != "" {
					where = path
				}
				s.errs = append(s.errs, problem{line: key.Line, msg: fmt.Sprintf("%s: unknown key %q in %s (known keys: %s; msiforge schema config describes each)", join(path, key.Value), key.Value, where, strings.Join(names, ", "))})
				return false
			}
			s.walk(value, f.Type, join(path, key.Value))
			return true
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		s.mapping(n, path, func(key *yaml.Node, value *yaml.Node) bool {
			s.walk(value, t.Elem(), join(path, key.Value))
			return true
		})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			s.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// mapping visits each key of n once: a repeated key is reported with
// both lines and dropped, as is a key visit refuses.
func (s *shape) mapping(n *yaml.Node, path string, visit func(key, value *yaml.Node) bool) {
	seen := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if first, dup := seen[key.Value]; dup {
			s.errs = append(s.errs, problem{line: key.Line, msg: fmt.Sprintf("%s: the key %q is given twice, on lines %d and %d; give it once", join(path, key.Value), key.Value, first, key.Line)})
			continue
		}
		seen[key.Value] = key.Line
		if visit(key, value) {
			kept = append(kept, key, value)
		}
	}
	n.Content = kept
}

func join(path, key string) string {
	// A key that is empty, holds spaces, dots or other non-word characters
	// is quoted, so the YAML path in a message stays readable ("" or " "
	// would otherwise print as nothing).
	if key == "" || strings.IndexFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) >= 0 {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var typeErrRE = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.*)$")

// typeProblem rewrites one of the YAML library's type errors ("line 5:
// cannot unmarshal !!str `yes` into int") as "path: "yes" is a string;
// want a whole number".
func (s *shape) typeProblem(msg string) problem {
	m := typeErrRE.FindStringSubmatch(msg)
	if m == nil {
		line := 0
		if l := yamlLineRE.FindStringSubmatch(msg); l != nil {
			line, _ = strconv.Atoi(l[1])
			msg = l[2]
		}
		return problem{line: line, msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	path := s.paths[line]
	if path == "" {
		path = "(value)"
	}
	got := tagName(m[2])
	value := ""
	if m[3] != "" {
		value = strconv.Quote(m[3]) + " "
	}
	return problem{line: line, msg: fmt.Sprintf("%s: %sis %s; want %s", path, value, got, wanted(path, s.types[line]))}
}

// tagName describes a YAML tag ("str", or "!!str") for a message.
func tagName(tag string) string {
	tag = strings.TrimPrefix(tag, "!!")
	if s, ok := map[string]string{"str": "a string", "int": "a number", "float": "a number", "bool": "true or false",
		"seq": "a list", "map": "a mapping (key: value lines)", "null": "empty", "timestamp": "a date", "binary": "binary data"}[tag]; ok {
		return s
	}
	return "a " + tag
}

// wanted says which values a field takes.
func wanted(path string, t reflect.Type) string {
	switch {
	case strings.HasPrefix(path, "console.defaults."):
		return "0 or 1"
	case t == nil:
		return "a value of another type (msiforge schema config describes each key)"
	}
	switch t.Kind() {
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a single text value (quote it if it looks like a number, a date or true/false)"
	case reflect.Slice:
		return "a list ([a, b] or lines starting with '- ')"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value lines)"
	}
	return "a " + t.String()
}

// sortProblems orders problems by line, keeping the order of equal lines.
func sortProblems(ps []problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].line < ps[j].line })
}
