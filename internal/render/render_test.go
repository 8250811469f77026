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

// TestEscapeXML: every special survives an XML parse, and '$' is doubled
// for wixl's preprocessor.
func TestEscapeXML(t *testing.T) {
	in := "A&B <x> \"q\" 'a' $(var.X)\ttab"
	ts, err := parse(t, `<a v="{{xml .}}">{{xml .}}</a>`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ts.Render("t.tmpl", in)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		V    string `xml:"v,attr"`
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(in, "$", "$$")
	if got.V != want || got.Text != want {
		t.Errorf("read back %q and %q, want %q", got.V, got.Text, want)
	}
}
