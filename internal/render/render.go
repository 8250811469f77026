// Package render turns the typed WiX and NSIS models into source text with
// the embedded templates, and checks that what it produced is well-formed
// XML (for WiX) before any compiler sees it.
package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
)

// sprigAllowed are the only sprig functions templates may use: the ones
// they do use. The full set includes randomness, the clock and the
// environment, which would make the output depend on something other than
// the config; add a function here only when a template needs it.
var sprigAllowed = []string{"list"}

// Funcs is the template function allow-list.
func Funcs() template.FuncMap {
	all := sprig.TxtFuncMap()
	fm := template.FuncMap{"xml": EscapeXML, "nsis": EscapeNSIS, "nsisconst": EscapeNSISConst}
	for _, name := range sprigAllowed {
		fm[name] = all[name]
	}
	return fm
}

// EscapeXML escapes s for an XML attribute or text node of a wixl source.
//
// wixl 0.101 runs its preprocessor on every attribute value and text node
// after the XML parser has decoded them (tools/wixl/preprocessor.vala,
// Preprocessor.eval), so character references hide nothing from it. Its
// rules: a '$' followed by '(' expands a variable ($(env.X), $(var.X),
// $(sys.CURRENTDIR)); a '$' followed by '$' gives one '$' and the second is
// read again; any other '$' is dropped. A run of n dollars therefore comes
// out as n dollars when n+1 are written, unless '(' follows, which always
// expands: no spelling of "$(" survives, and EscapeXML refuses it. The
// caller must not follow the result with '(' or '$' in the same attribute
// (no template does).
//
// It also refuses what XML 1.0 cannot carry (invalid UTF-8, control
// characters other than tab, line feed and carriage return, U+FFFE,
// U+FFFF), and writes "--" as "-&#45;" so the text may stand in an XML
// comment too; attributes decode it back.
func EscapeXML(s string) (string, error) {
	if err := XMLSafe(s); err != nil {
		return "", err
	}
	return xmlEscaper.Replace(dollarRun.ReplaceAllStringFunc(s, func(run string) string { return run + "$" })), nil
}

// dollarRun is a run of '$': written with one more (see EscapeXML).
var dollarRun = regexp.MustCompile(`\$+`)

// XMLSafe reports why s cannot be written into a wixl source so that wixl
// reads it back unchanged, or nil.
func XMLSafe(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	if strings.Contains(s, "$(") {
		return fmt.Errorf("%q contains \"$(\", which wixl's preprocessor expands as a variable ($(env.NAME), $(var.NAME), $(sys.NAME)) whatever the escaping; write it without \"$(\"", s)
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Errorf("%q contains U+%04X, which XML 1.0 cannot carry", s, r)
		}
	}
	return nil
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// WixlEval is wixl 0.101's Preprocessor.eval for a value without "$(": what
// wixl makes of a decoded attribute value. Tests use it to prove that
// EscapeXML round-trips; a value with "$(" gives an error, as wixl would
// expand it.
func WixlEval(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$') // and the next '$' is read again
		case i+1 < len(s) && s[i+1] == '(':
			return "", fmt.Errorf("%q: wixl expands the variable at byte %d", s, i)
		}
	}
	return b.String(), nil
}

// EscapeNSIS escapes s for the inside of a double-quoted NSIS string that
// is processed when the installer runs (Name, MessageBox): '$' starts a
// variable there, '$\"' is a quote and '$\n' a new line; a backslash is
// literal.
func EscapeNSIS(s string) (string, error) {
	if err := nsisExpandable(s); err != nil {
		return "", err
	}
	return nsisEscaper.Replace(s), nil
}

// EscapeNSISConst escapes s for a double-quoted NSIS string that is only
// used when compiling (VIAddVersionKey): there '$$' would stay two
// dollars, and only the line's escapes ('$\"', '$\n') are processed.
func EscapeNSISConst(s string) (string, error) {
	if err := nsisExpandable(s); err != nil {
		return "", err
	}
	return nsisConstEscaper.Replace(s), nil
}

// nsisExpandable refuses what makensis expands on every line before
// anything else, with no escape that survives: ${define}, $%ENV% and the
// line escapes $\x (which "$$\x" would not hide in a compile-time string).
func nsisExpandable(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%q contains a NUL character, which ends an NSIS string", s)
	}
	for _, seq := range []string{"${", "$%", `$\`} {
		if strings.Contains(s, seq) {
			return fmt.Errorf("%q: makensis would expand %q in it", s, seq)
		}
	}
	return nil
}

var (
	nsisEscaper      = strings.NewReplacer("$", "$$", `"`, `$\"`, "\n", `$\n`, "\r", `$\r`, "\t", `$\t`)
	nsisConstEscaper = strings.NewReplacer(`"`, `$\"`, "\n", `$\n`, "\r", `$\r`, "\t", `$\t`)
)

// xmlEscaper uses the named entities, which read better in golden files
// than encoding/xml's numeric ones. "--" is not allowed in a comment.
var xmlEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;",
	"--", "-&#45;",
)

// Templates is a parsed template set.
type Templates struct {
	t *template.Template
}

// Parse parses every *.tmpl file of fsys (templates.FS, os.DirFS(dir) for
// --templates, or an fstest.MapFS in tests). Templates are named by their
// path, e.g. "msi/console.wxs.tmpl".
func Parse(fsys fs.FS) (*Templates, error) {
	root := template.New("").Funcs(Funcs()).Option("missingkey=error")
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tmpl") {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		if _, err := root.New(path).Parse(string(b)); err != nil {
			return fmt.Errorf("parse template: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Templates{t: root}, nil
}

// ParseOverlay parses base, then every *.tmpl file of over in place of the
// base template of the same name: a team's own templates (templates.dir,
// --templates) replace the embedded ones by name. A file of over that
// names no template of base is an error, so a misspelt name cannot be
// silently ignored; label names over in messages.
func ParseOverlay(base, over fs.FS, label string) (*Templates, error) {
	ts, err := Parse(base)
	if err != nil {
		return nil, err
	}
	var known []string
	for _, t := range ts.t.Templates() {
		if strings.HasSuffix(t.Name(), ".tmpl") {
			known = append(known, t.Name())
		}
	}
	sort.Strings(known)
	err = fs.WalkDir(over, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tmpl") {
			return err
		}
		if ts.t.Lookup(path) == nil {
			return fmt.Errorf("%s: %s replaces no template msiforge has (they are %s)", label, path, strings.Join(known, ", "))
		}
		b, err := fs.ReadFile(over, path)
		if err != nil {
			return err
		}
		if _, err := ts.t.New(path).Parse(string(b)); err != nil {
			return fmt.Errorf("%s: parse template: %w", label, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// Render executes the template name with data and checks that the result
// is well-formed XML.
func (ts *Templates) Render(name string, data any) ([]byte, error) {
	b, err := ts.RenderText(name, data)
	if err != nil {
		return nil, err
	}
	if err := WellFormed(b); err != nil {
		return nil, fmt.Errorf("render %s: output is not well-formed XML: %w", name, err)
	}
	return b, nil
}

// RenderText executes the template name with data, for sources that are
// not XML (NSIS scripts).
func (ts *Templates) RenderText(name string, data any) ([]byte, error) {
	t := ts.t.Lookup(name)
	if t == nil {
		return nil, fmt.Errorf("render: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// WellFormed reports the first XML syntax error in b, with its line.
func WellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
