package render_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/templates"
	"github.com/msiforge/msiforge/wix"
)

// FuzzRender renders a random string into every user-supplied field of the
// console's WiX and NSIS sources (the real templates) and checks what the
// compilers would read back: the WiX source is well-formed XML, wixl's
// preprocessor (render.WixlEval) finds nothing to expand anywhere and gives
// each field's text back exactly; the NSIS script keeps its lines, and
// makensis's string rules (nsisConst, nsisRuntime) give the text back.
// Strings that cannot be carried are refused, never half-escaped.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Example Support Console", "$(env.MSIFORGE_PW)", "$$(env.X)", "$(sys.CURRENTDIR)", "$(var.X)",
		"!define X", "\n!define X 1\n", "${X}", `$\n`, "$%PATH%", "$", "$$", "a$b$", "--", "a-", "]]>",
		`"quoted" 'single' <tag> &amp;`, "tab\there", "back\\slash\\", "$\\", "\x00", "\xff", "\uFFFE",
		"Café €", "Файл", "\u2028", ";comment", "# hash", "`back`",
	} {
		f.Add(s)
	}
	ts, err := render.Parse(templates.FS)
	if err != nil {
		f.Fatal(err)
	}
	c := testutil.LoadExampleWithVSC(f, "x64")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := wix.NewVSC(c, "representative", "x64")
		if err != nil {
			t.Fatal(err)
		}
		v.ProductName, v.Manufacturer, v.DisplayName, v.ServiceDescription, v.VSCFolder = s, s, s, s, s
		v.RegistryKey = `Software\` + s
		if src, err := ts.Render("msi/vsc.wxs.tmpl", v); err != nil {
			if render.XMLSafe(s) == nil {
				t.Fatalf("%q: VSC source refused although XMLSafe accepts it: %v", s, err)
			}
		} else {
			attrs := checkXML(t, s, src)
			for _, k := range []string{"Product@Name", "Package@Manufacturer", "ServiceInstall@DisplayName", "ServiceInstall@Description", "Directory[VSCDIR]@Name"} {
				if got, ok := attrs[k]; (!ok && !(s == "" && k == "ServiceInstall@Description")) || got != s {
					t.Errorf("VSC %s reads back as %q, want %q", k, got, s)
				}
			}
		}

		m, err := wix.NewConsole(c, "x64")
		if err != nil {
			t.Fatal(err)
		}
		m.ProductName, m.Manufacturer, m.Description, m.HelpURL, m.AboutURL = s, s, s, s, s
		m.Shortcut.Name, m.Shortcut.Folder = s, s
		m.Files[0].Name = s
		m.UserInstallDir = "[LocalAppDataFolder]" + s + `\` + s + `\`
		m.SettingsKey, m.RunValueName = `Software\`+s+`\`+s, s

		src, err := ts.Render("msi/console.wxs.tmpl", m)
		if err != nil {
			if render.XMLSafe(s) == nil {
				t.Fatalf("%q refused although XMLSafe accepts it: %v", s, err)
			}
			if !strings.Contains(err.Error(), "error calling xml") {
				t.Fatalf("%q: refused for another reason: %v", s, err)
			}
		} else {
			checkWixl(t, s, src)
		}

		script, err := exe.Source(ts, m)
		if err != nil {
			if _, e1 := render.EscapeNSIS(s); e1 == nil {
				if _, e2 := render.EscapeNSISConst(s); e2 == nil {
					t.Fatalf("%q: NSIS script refused although both escapes accept it: %v", s, err)
				}
			}
			return
		}
		checkNSIS(t, s, script)
	})
}

// checkWixl checks the console's WiX source (see checkXML).
func checkWixl(t *testing.T, s string, src []byte) {
	t.Helper()
	attrs := checkXML(t, s, src)
	for _, k := range []string{"Product@Name", "Product@Manufacturer", "Package@Comments", "Package@Manufacturer",
		"Property[ARPHELPLINK]@Value", "Property[ARPURLINFOABOUT]@Value", "Shortcut@Name", "File@Name", "Directory[ShortcutFolder]@Name"} {
		if got, ok := attrs[k]; (!ok && !(s == "" && strings.HasPrefix(k, "Property"))) || got != s { // an empty URL is left out
			t.Errorf("%s reads back as %q, want %q", k, got, s)
		}
	}
	if got, want := attrs["RegistryValue@Key"], `Software\`+s+`\`+s; got != want {
		t.Errorf("RegistryValue@Key reads back as %q, want %q", got, want)
	}
}

// checkXML reads a rendered WiX source as wixl would: an XML parse, then
// its preprocessor on every attribute and text node, which must find
// nothing to expand. It returns the attributes as wixl sees them, by
// "Element@Attr" and "Element[Id]@Attr" (the first of each).
func checkXML(t *testing.T, s string, src []byte) map[string]string {
	t.Helper()
	attrs := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(src))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%q: the source is not well-formed XML: %v\n%s", s, err, src)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			id := ""
			for _, a := range tok.Attr {
				if a.Name.Local == "Id" {
					id = a.Value
				}
			}
			for _, a := range tok.Attr {
				v, err := render.WixlEval(a.Value)
				if err != nil {
					t.Fatalf("%q: wixl would expand %s@%s: %v", s, tok.Name.Local, a.Name.Local, err)
				}
				for _, k := range []string{tok.Name.Local + "@" + a.Name.Local, tok.Name.Local + "[" + id + "]@" + a.Name.Local} {
					if _, seen := attrs[k]; !seen {
						attrs[k] = v
					}
				}
			}
		case xml.CharData:
			if _, err := render.WixlEval(string(tok)); err != nil {
				t.Fatalf("%q: wixl would expand a text node: %v", s, err)
			}
		}
	}
	return attrs
}

// checkNSIS reads the rendered script as makensis would, within the rules
// msiforge relies on.
func checkNSIS(t *testing.T, s string, script []byte) {
	t.Helper()
	lines := strings.Split(string(script), "\n")
	found := 0
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, `Name "`):
			found++
			got, err := nsisRuntime(nsisConst(t, strings.TrimSuffix(strings.TrimPrefix(line, `Name "`), `"`)))
			if err != nil || got != s {
				t.Errorf("Name reads back as %q (%v), want %q", got, err, s)
			}
		case strings.HasPrefix(line, `VIAddVersionKey /LANG=1033 "ProductName" "`):
			found++
			if got := nsisConst(t, strings.TrimSuffix(strings.TrimPrefix(line, `VIAddVersionKey /LANG=1033 "ProductName" "`), `"`)); got != s {
				t.Errorf("ProductName reads back as %q, want %q", got, s)
			}
		case strings.HasPrefix(line, "!") && !strings.HasPrefix(line, "!ifndef") && !strings.HasPrefix(line, "!error") &&
			!strings.HasPrefix(line, "!endif") && !strings.HasPrefix(line, "!define ERROR_"):
			t.Errorf("%q: a line starts with a compiler command: %q", s, line)
		}
	}
	if found != 2 {
		t.Errorf("%q: found %d of the Name and ProductName lines, want 2 (a line was broken)", s, found)
	}
}

// nsisConst is what makensis makes of the inside of a double-quoted string
// when compiling (measured with makensis 3.08, see TestNSISModel): the line
// escapes $\" $\n $\r $\t become their characters, even after another '$';
// everything else, '$$' included, stays. An unescaped '"' would end the
// string; ${ and $% would be expanded.
func nsisConst(t *testing.T, q string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		switch {
		case strings.HasPrefix(q[i:], `$\`) && i+2 < len(q) && strings.IndexByte(`"nrt`, q[i+2]) >= 0:
			b.WriteByte(map[byte]byte{'"': '"', 'n': '\n', 'r': '\r', 't': '\t'}[q[i+2]])
			i += 2
		case q[i] == '"':
			t.Fatalf("an unescaped quote ends the string early: %q", q)
		case strings.HasPrefix(q[i:], "${") || strings.HasPrefix(q[i:], "$%"):
			t.Fatalf("makensis would expand %q in %q", q[i:i+2], q)
		default:
			b.WriteByte(q[i])
		}
	}
	return b.String()
}

// nsisRuntime is what the installer makes of a string at run time: '$$'
// is one '$'; any other '$' starts a variable.
func nsisRuntime(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		return "", fmt.Errorf("a variable at byte %d of %q", i, s)
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("not UTF-8")
	}
	return b.String(), nil
}
