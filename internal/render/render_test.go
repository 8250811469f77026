package render_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/msiforge/msiforge/internal/render"
)

func parse(t *testing.T, text string) (*render.Templates, error) {
	t.Helper()
	return render.Parse(fstest.MapFS{"t.tmpl": {Data: []byte(text)}})
}

// TestFunctionsAreAllowListed: functions that read the clock, the
// environment or randomness are not available to templates.
func TestFunctionsAreAllowListed(t *testing.T) {
	for _, fn := range []string{"now", "env", "randAlpha", "uuidv4", "expandenv", "genPrivateKey"} {
		_, err := parse(t, `<a>{{`+fn+`}}</a>`)
		if err == nil || !strings.Contains(err.Error(), `function "`+fn+`" not defined`) {
			t.Errorf("%s: err = %v, want it undefined", fn, err)
		}
	}
	if _, err := parse(t, `<a>{{range list 1 2}}{{.}}{{end}}</a>`); err != nil {
		t.Errorf("list: %v", err)
	}
}

func TestRenderErrors(t *testing.T) {
	ts, err := parse(t, `<a x="{{xml .Name}}">{{.Missing}}</a>`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Render("t.tmpl", struct{ Name string }{"n"}); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("missing field: err = %v", err)
	}
	if _, err := ts.Render("nope.tmpl", nil); err == nil || err.Error() != `render: no template "nope.tmpl"` {
		t.Errorf("unknown template: err = %v", err)
	}
	bad, err := parse(t, `<a>{{.}}</b>`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Render("t.tmpl", "x"); err == nil || !strings.Contains(err.Error(), "not well-formed XML") {
		t.Errorf("malformed output: err = %v", err)
	}
}

// TestEscapeXML: every special survives an XML parse, and what wixl's
// preprocessor then makes of the value (WixlEval) is the input again.
func TestEscapeXML(t *testing.T) {
	ts, err := parse(t, `<a v="{{xml .}}"><!-- {{xml .}} -->{{xml .}}</a>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"A&B <x> \"q\" 'a'\ttab\nline",
		"$", "$$", "$$$", "a$b", "end$", "$$env.X)", "$ (env.X)", "x--y", "---", "a-",
	} {
		out, err := ts.Render("t.tmpl", in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		var got struct {
			V    string `xml:"v,attr"`
			Text string `xml:",chardata"`
		}
		if err := xml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q: %v\n%s", in, err, out)
		}
		v, err1 := render.WixlEval(got.V)
		text, err2 := render.WixlEval(got.Text)
		if v != in || text != in || err1 != nil || err2 != nil {
			t.Errorf("%q: wixl reads back %q (%v) and %q (%v)", in, v, err1, text, err2)
		}
	}
}

// TestEscapeXMLRefuses: what no escaping can protect from wixl's
// preprocessor, or XML cannot carry, is refused with the value quoted.
func TestEscapeXMLRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"$(env.MSIFORGE_PW)":  `expands as a variable`,
		"$$(env.X)":           `expands as a variable`,
		"a $(sys.CURRENTDIR)": `expands as a variable`,
		"$(var.X)":            `expands as a variable`,
		"nul\x00":             "U+0000",
		"bell\x07":            "U+0007",
		"\uFFFE":              "U+FFFE",
		"bad\xff":             "not valid UTF-8",
	} {
		_, err := render.EscapeXML(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("EscapeXML(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

// TestEscapeNSISRefuses: makensis expands ${X}, $%X% and $\x before any
// escape applies; a NUL ends its strings.
func TestEscapeNSISRefuses(t *testing.T) {
	for _, in := range []string{"${X}", "$${X}", "$%PATH%", `$\n`, "a\x00b", "\xff"} {
		for name, esc := range map[string]func(string) (string, error){"nsis": render.EscapeNSIS, "nsisconst": render.EscapeNSISConst} {
			if _, err := esc(in); err == nil {
				t.Errorf("%s(%q) = nil error, want a refusal", name, in)
			}
		}
	}
}
