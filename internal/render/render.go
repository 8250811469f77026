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
	"strings"
	"text/template"

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

// EscapeXML escapes s for an XML attribute or text node of a wixl source:
// the XML specials, and '$', which wixl's preprocessor would otherwise read
// as the start of a variable (or drop).
func EscapeXML(s string) string {
	return xmlEscaper.Replace(s)
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
// than encoding/xml's numeric ones.
var xmlEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;",
	"$", "$$",
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
