package release_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestGoldenExample pins the WiX the example config renders to, per
// architecture. Review a diff of these files like code.
func TestGoldenExample(t *testing.T) {
	srcs, err := release.Sources(testutil.LoadExample(t, "x86", "x64", "arm64"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 3 {
		t.Fatalf("got %d sources, want 3", len(srcs))
	}
	for _, s := range srcs {
		golden.Assert(t, "example/"+s.Target.Wxs, s.Text)
	}
}

// TestRenderIsDeterministic renders the example twice, in different
// directories and with the payload listed in another order: same bytes.
func TestRenderIsDeterministic(t *testing.T) {
	a := testutil.LoadExample(t)
	b := testutil.LoadExample(t)
	for arch, files := range b.Console.Payload {
		for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
			files[i], files[j] = files[j], files[i]
		}
		b.Console.Payload[arch] = files
	}
	for arch, items := range b.Console.Tree { // what validation expanded
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		b.Console.Tree[arch] = items
	}
	da, db := t.TempDir(), t.TempDir()
	pa, err := release.Render(a, da, release.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := release.Render(b, db, release.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != 6 || len(pb) != 6 {
		t.Fatalf("rendered %d and %d files, want 6 each (.wxs and .nsi for x86, x64, arm64)", len(pa), len(pb))
	}
	for i := range pa {
		x, _ := os.ReadFile(pa[i])
		y, _ := os.ReadFile(pb[i])
		if !bytes.Equal(x, y) {
			t.Errorf("%s and %s differ", pa[i], pb[i])
		}
		if filepath.Base(pa[i]) != filepath.Base(pb[i]) {
			t.Errorf("names differ: %s, %s", pa[i], pb[i])
		}
	}
	entries, _ := os.ReadDir(da)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestValuesAreEscaped renders a config full of XML and preprocessor
// specials and reads the values back with encoding/xml.
func TestValuesAreEscaped(t *testing.T) {
	c := testutil.LoadExample(t, "x64")
	c.Product.Manufacturer = `A&B <Tools> "Q" 'S' $ (var.X) $$`
	c.Product.Description = `costs $5 & <more>`
	srcs, err := release.Sources(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := string(srcs[0].Text)
	golden.Assert(t, "escaped.wxs", srcs[0].Text)
	var doc struct {
		Product struct {
			Manufacturer string `xml:"Manufacturer,attr"`
			Package      struct {
				Comments string `xml:"Comments,attr"`
			} `xml:"Package"`
		} `xml:"Product"`
	}
	if err := xml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	// wixl's preprocessor turns a run of n+1 dollars into n (see
	// render.EscapeXML); what encoding/xml sees is the escaped form.
	if got, want := doc.Product.Manufacturer, `A&B <Tools> "Q" 'S' $$ (var.X) $$$`; got != want {
		t.Errorf("Manufacturer reads back as %q, want %q", got, want)
	}
	if got, want := doc.Product.Package.Comments, `costs $$5 & <more>`; got != want {
		t.Errorf("Comments reads back as %q, want %q", got, want)
	}
	// "$(" has no escape wixl honours: rendering refuses it (the config
	// refuses it first, naming the field).
	c.Product.Manufacturer = `A $(var.X)`
	if _, err := release.Sources(c, nil); err == nil || !strings.Contains(err.Error(), `<xml .Manufacturer>`) {
		t.Errorf("a manufacturer with $( rendered: err = %v", err)
	}
}

func TestRenderUnknownArch(t *testing.T) {
	_, err := release.Sources(testutil.LoadExample(t), []string{"ia64"})
	if err == nil || err.Error() != "--arch ia64: not one of the config's architectures (x86, x64, arm64)" {
		t.Fatalf("err = %v", err)
	}
}
