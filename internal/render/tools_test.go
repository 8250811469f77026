package render_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/internal/testutil"
)

// modelStrings are the strings the escaping models are checked on.
var modelStrings = []string{
	"plain", "$", "$$", "$$$", "a$b", "end$", "$HOME", "$$HOME", "x--y", "50%",
	"!define X 1", `"quoted"`, "'single'", "<&>", `back\slash\`, "a$\"b", "Café €", "$ (env.X)",
}

// TestEscapeXMLWithWixl: wixl 0.101 itself reads back every string
// EscapeXML wrote, with the secret in the environment never expanded; the
// MSI's Property table (read with internal/msi) holds the literal text, as
// WixlEval predicts.
func TestEscapeXMLWithWixl(t *testing.T) {
	testutil.NeedTool(t, "wixl")
	t.Setenv("MSIFORGE_PW", "s3cret-value")
	var props strings.Builder
	for i, s := range modelStrings {
		e, err := render.EscapeXML(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		fmt.Fprintf(&props, "    <Property Id=\"P%d\" Value=\"%s\"/>\n", i, e)
	}
	dir := t.TempDir()
	wxs := `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="12345678-1234-1234-1234-123456789012" Name="P" Language="1033" Version="1.0.0" Manufacturer="M" UpgradeCode="12345678-1234-1234-1234-123456789013">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perUser"/>
` + props.String() + `    <Directory Id="TARGETDIR" Name="SourceDir"/>
  </Product>
</Wix>
`
	if err := os.WriteFile(filepath.Join(dir, "t.wxs"), []byte(wxs), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "wixl", Args: []string{"-o", "t.msi", "t.wxs"}, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	f, err := msi.Open(filepath.Join(dir, "t.msi"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.Properties()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range modelStrings {
		if g := got[fmt.Sprintf("P%d", i)]; g != s {
			t.Errorf("%q reads back from the MSI as %q", s, g)
		}
	}
}

// TestEscapeNSISConstWithMakensis: makensis 3.08 writes every string
// EscapeNSISConst produced into the EXE's version resource unchanged, as
// the fuzz test's nsisConst model assumes.
func TestEscapeNSISConstWithMakensis(t *testing.T) {
	testutil.NeedTool(t, "makensis")
	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("Unicode true\nName \"n\"\nOutFile \"" + filepath.Join(dir, "t.exe") + "\"\nRequestExecutionLevel user\n" +
		"VIProductVersion \"1.2.3.0\"\nVIFileVersion \"1.2.3.0\"\nVIAddVersionKey /LANG=1033 \"FileVersion\" \"1.2.3.0\"\nVIAddVersionKey /LANG=1033 \"FileDescription\" \"d\"\nVIAddVersionKey /LANG=1033 \"LegalCopyright\" \"c\"\nVIAddVersionKey /LANG=1033 \"ProductName\" \"p\"\nVIAddVersionKey /LANG=1033 \"CompanyName\" \"c\"\nVIAddVersionKey /LANG=1033 \"ProductVersion\" \"1\"\n")
	for i, s := range modelStrings {
		e, err := render.EscapeNSISConst(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		fmt.Fprintf(&script, "VIAddVersionKey /LANG=1033 \"K%d\" \"%s\"\n", i, e)
	}
	script.WriteString("Section\nSectionEnd\n")
	nsi := filepath.Join(dir, "t.nsi")
	if err := os.WriteFile(nsi, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "makensis", Args: []string{"-V2", "-WX", "-INPUTCHARSET", "UTF8", nsi}, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "t.exe"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range modelStrings {
		// A version resource String: key, NUL, padding to 32 bits, value, NUL.
		key := utf16le(fmt.Sprintf("K%d", i))
		at := bytes.Index(b, append(key, 0, 0))
		if at < 0 {
			t.Fatalf("K%d not in the EXE", i)
		}
		v := at + len(key) + 2
		for v%4 != 0 {
			v++
		}
		end := v
		for end+1 < len(b) && (b[end] != 0 || b[end+1] != 0) {
			end += 2
		}
		if got := b[v:end]; !bytes.Equal(got, utf16le(s)) {
			t.Errorf("%q reads back from the EXE as %q", s, got)
		}
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}
