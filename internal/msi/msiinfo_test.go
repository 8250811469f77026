package msi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
)

// The WiX sources below are compiled with the real wixl, and everything
// the reader decodes is compared with msitools' own view of the same file.

const simpleWXS = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Simple App" Language="1033" Version="1.2.3" Manufacturer="Example Corp"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="Simple App 1.2.3" Comments="per-machine test package" Keywords="Installer,Test"/>
    <MediaTemplate EmbedCab="yes"/>
    <Property Id="RUNATSTARTUP" Value="0"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="Simple App">
          <Component Id="AppExe" Guid="*" Win64="yes">
            <File Id="AppExeFile" Name="app.exe" Source="app.exe" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="AppExe"/></Feature>
  </Product>
</Wix>
`

// fullWXS has registry values, custom actions of several types, a major
// upgrade, a service, a shortcut, binary streams, a launch condition,
// registry searches, and property values with non-ASCII characters, a tab
// and a newline.
const fullWXS = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Full App" Language="1033" Codepage="1252" Version="2.0.1" Manufacturer="Grüße GmbH"
           UpgradeCode="0F0F0F0F-1111-2222-3333-444444444444">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="Full App" Comments="full test package"/>
    <MediaTemplate EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of [ProductName] is already installed."/>
    <Condition Message="Requires Windows 7 or later.">Installed OR VersionNT &gt;= 601</Condition>
    <Binary Id="HelperDll" SourceFile="helper.dll"/>
    <Icon Id="AppIcon" SourceFile="app.ico"/>
    <Property Id="ARPPRODUCTICON" Value="AppIcon"/>
    <Property Id="ARPNOMODIFY" Value="1"/>
    <Property Id="EURO" Value="price: 5 € — naïve"/>
    <Property Id="MULTILINE" Value="line1&#10;line2&#9;after tab"/>
    <Property Id="INSTALLDIR">
      <RegistrySearch Id="DirHKLM" Root="HKLM" Key="Software\Full\App" Name="InstallDir" Type="raw" Win64="yes"/>
    </Property>
    <CustomAction Id="SetStamp" Property="STAMP" Value="v[ProductVersion]"/>
    <CustomAction Id="DllCa" BinaryKey="HelperDll" DllEntry="DoThing" Execute="deferred" Return="ignore"/>
    <CustomAction Id="RunApp" FileKey="AppExeFile" ExeCommand="--first-run" Return="asyncNoWait"/>
    <InstallExecuteSequence>
      <Custom Action="SetStamp" After="CostFinalize"/>
      <Custom Action="DllCa" After="InstallFiles">NOT Installed</Custom>
      <Custom Action="RunApp" After="InstallFinalize">NOT Installed</Custom>
    </InstallExecuteSequence>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="Full App">
          <Component Id="AppExe" Guid="*" Win64="yes">
            <File Id="AppExeFile" Name="app.exe" Source="app.exe" KeyPath="yes"/>
            <ServiceInstall Id="Svc" Name="FullSvc" DisplayName="Full App Service" Description="Does full things"
                            Type="ownProcess" Start="auto" ErrorControl="normal" Account="LocalSystem"/>
            <ServiceControl Id="SvcCtl" Name="FullSvc" Start="install" Stop="both" Remove="uninstall" Wait="yes"/>
          </Component>
          <Component Id="Settings" Guid="*" Win64="yes">
            <RegistryValue Root="HKLM" Key="Software\Full\App" Name="InstallDir" Type="string" Value="[INSTALLDIR]" KeyPath="yes"/>
            <RegistryValue Root="HKLM" Key="Software\Full\App" Name="Level" Type="integer" Value="42"/>
            <RegistryValue Root="HKLM" Key="Software\Microsoft\Windows\CurrentVersion\Run" Name="FullApp" Type="string" Value="&quot;[INSTALLDIR]app.exe&quot; --autostart"/>
          </Component>
        </Directory>
      </Directory>
      <Directory Id="ProgramMenuFolder">
        <Directory Id="MenuDir" Name="Full App">
          <Component Id="StartMenu" Guid="*" Win64="yes">
            <Shortcut Id="AppShortcut" Name="Full App" Target="[#AppExeFile]" WorkingDirectory="INSTALLDIR" Description="Start Full App"/>
            <RemoveFolder Id="RmMenuDir" On="uninstall"/>
            <RegistryValue Root="HKCU" Key="Software\Full\App" Name="Shortcut" Type="integer" Value="1" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Title="Main" Level="1">
      <ComponentRef Id="AppExe"/><ComponentRef Id="Settings"/><ComponentRef Id="StartMenu"/>
    </Feature>
  </Product>
</Wix>
`

// productWXS wraps extra Product content in a minimal per-user package.
func productWXS(extra string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="11111111-2222-3333-4444-555555555555" Name="Edge" Language="1033" Version="1.0.0" Manufacturer="Edge Corp"
           UpgradeCode="0F0F0F0F-1111-2222-3333-666666666666">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perUser"/>
` + extra + `
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="LocalAppDataFolder"><Directory Id="INSTALLDIR" Name="Edge">
        <Component Id="C" Guid="11111111-2222-3333-4444-555555555556">
          <RegistryValue Root="HKCU" Key="Software\Edge" Name="N" Type="integer" Value="1" KeyPath="yes"/>
        </Component>
      </Directory></Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="C"/></Feature>
  </Product>
</Wix>
`
}

// manyStrings is the number of Property rows in the many-strings package:
// each has a distinct name and value, so the pool exceeds 65,535 strings
// and table data must use 3-byte string references.
const manyStrings = 33000

func manyStringsWXS() string {
	var b strings.Builder
	for i := range manyStrings {
		fmt.Fprintf(&b, "    <Property Id=\"P%05d\" Value=\"value number %05d\"/>\n", i, i)
	}
	return productWXS(b.String())
}

// longValue is longer than 64 KB, so the pool stores it with the
// long-string escape. It stays under 128 KB, where libmsi's reader (which
// takes the high word of the length from the wrong entry) still agrees.
var longValue = strings.Repeat("0123456789abcdef", 70000/16) + "end"

func longStringWXS() string {
	return productWXS(`    <Property Id="LONGVALUE" Value="` + longValue + `"/>`)
}

func payload(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

var fullFiles = map[string][]byte{"app.exe": payload(2, 5000), "helper.dll": payload(3, 700), "app.ico": payload(4, 6000)}

type testMSI struct {
	name  string
	build func(t *testing.T) string
}

var testMSIs = []testMSI{
	{"simple", func(t *testing.T) string {
		return cachedMSI(t, "simple", simpleWXS, map[string][]byte{"app.exe": payload(1, 3000)}, "-a", "x64")
	}},
	{"full", func(t *testing.T) string {
		return cachedMSI(t, "full", fullWXS, fullFiles, "-a", "x64")
	}},
	{"manystrings", func(t *testing.T) string { return cachedMSI(t, "manystrings", manyStringsWXS(), nil) }},
	{"longstring", func(t *testing.T) string { return cachedMSI(t, "longstring", longStringWXS(), nil) }},
}

// TestAgainstMsiinfo builds each test package with wixl and checks that
// every table, the table list, the stream list, every stream's bytes and
// the summary information read the same as through msitools.
func TestAgainstMsiinfo(t *testing.T) {
	needTool(t, "msiinfo")
	t.Run("testdata/tiny", func(t *testing.T) {
		t.Parallel()
		path, err := filepath.Abs("testdata/tiny.msi")
		if err != nil {
			t.Fatal(err)
		}
		compareWithMsiinfo(t, path)
	})
	for _, tm := range testMSIs {
		t.Run(tm.name, func(t *testing.T) {
			t.Parallel()
			path := tm.build(t)
			compareWithMsiinfo(t, path)
		})
	}
}

func compareWithMsiinfo(t *testing.T, path string) {
	t.Helper()
	dir := t.TempDir() // msiinfo export writes binary streams into the working directory
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// Tables: msiinfo lists two pseudo-tables first.
	want := lines(run(t, dir, "msiinfo", "tables", path))
	if len(want) < 2 || want[0] != "_SummaryInformation" || want[1] != "_ForceCodepage" {
		t.Fatalf("msiinfo tables: unexpected start %q", want)
	}
	got, err := f.Tables()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want[2:]) {
		t.Errorf("Tables() = %q\nmsiinfo tables = %q", got, want[2:])
	}

	// Every table, byte for byte.
	for _, name := range append(want, "_Tables", "_Columns") {
		wantIDT := run(t, dir, "msiinfo", "export", path, name)
		gotIDT, err := f.ExportIDT(name)
		if err != nil {
			t.Errorf("ExportIDT(%s): %v", name, err)
			continue
		}
		if gotIDT != string(wantIDT) {
			t.Errorf("ExportIDT(%s) differs from msiinfo export: %s", name, firstDiff(gotIDT, string(wantIDT)))
		}
	}

	// Streams, in msiinfo's order, with the same contents as msiinfo extract.
	wantStreams := lines(run(t, dir, "msiinfo", "streams", path))
	if gotStreams := f.Streams(); !slices.Equal(gotStreams, wantStreams) {
		t.Errorf("Streams() = %q\nmsiinfo streams = %q", gotStreams, wantStreams)
	}
	for _, name := range wantStreams {
		r, size, err := f.OpenStream(name)
		if err != nil {
			t.Errorf("OpenStream(%q): %v", name, err)
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Errorf("read stream %q: %v", name, err)
			continue
		}
		if int64(len(data)) != size {
			t.Errorf("stream %q: read %d bytes, size says %d", name, len(data), size)
		}
		if want := run(t, dir, "msiinfo", "extract", path, name); !bytes.Equal(data, want) {
			t.Errorf("stream %q: %d bytes differ from msiinfo extract (%d bytes)", name, len(data), len(want))
		}
	}

	// Summary information, as msiinfo suminfo prints it.
	s, err := f.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := formatSuminfo(s), string(run(t, dir, "msiinfo", "suminfo", path)); got != want {
		t.Errorf("summary differs from msiinfo suminfo: %s", firstDiff(got, want))
	}
	if f.Signed() != slices.Contains(wantStreams, StreamDigitalSignature) {
		t.Errorf("Signed() = %v with streams %q", f.Signed(), wantStreams)
	}
}

// formatSuminfo prints a Summary the way msiinfo suminfo does (with
// TZ=UTC).
func formatSuminfo(s Summary) string {
	labels := []struct {
		id    int
		label string
	}{
		{PIDTitle, "Title"}, {PIDSubject, "Subject"}, {PIDAuthor, "Author"}, {PIDKeywords, "Keywords"},
		{PIDComments, "Comments"}, {PIDTemplate, "Template"}, {PIDLastAuthor, "Last author"},
		{PIDRevision, "Revision number (UUID)"}, {PIDEditTime, "Edittime"}, {PIDLastPrinted, "Last printed"},
		{PIDCreated, "Created"}, {PIDLastSaved, "Last saved"}, {PIDPageCount, "Version"},
		{PIDWordCount, "Source"}, {PIDCharCount, "Restrict"}, {17, "Thumbnail"},
		{PIDAppName, "Application"}, {PIDSecurity, "Security"},
	}
	var b strings.Builder
	for _, l := range labels {
		i := slices.IndexFunc(s.Properties, func(p SummaryProperty) bool { return p.ID == l.id })
		if i < 0 {
			continue
		}
		p := s.Properties[i]
		switch p.Type {
		case VTI2, VTI4:
			fmt.Fprintf(&b, "%s: %d (%x)\n", l.label, p.Int, uint32(p.Int))
		case VTLPSTR:
			fmt.Fprintf(&b, "%s: %s\n", l.label, p.Str)
		case VTFileTime:
			fmt.Fprintf(&b, "%s: %s\n", l.label, p.Time.Format("Mon Jan _2 15:04:05 2006"))
		}
	}
	return b.String()
}

func lines(b []byte) []string {
	s := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// firstDiff describes where two texts first differ.
func firstDiff(got, want string) string {
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	ctx := func(s string) string { return s[max(0, i-40):min(len(s), i+40)] }
	return fmt.Sprintf("at byte %d (len got %d, want %d):\n got  %q\n want %q", i, len(got), len(want), ctx(got), ctx(want))
}

var guidRE = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)

// TestTypedAPI checks the typed view of the full package: summary fields,
// properties, column types, integer and NULL cells, and binary cells that
// open as streams holding the source files.
func TestTypedAPI(t *testing.T) {
	files := fullFiles
	path := testMSIs[1].build(t)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	s, err := f.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if !guidRE.MatchString(s.PackageCode) {
		t.Errorf("PackageCode = %q, want a braced upper-case GUID", s.PackageCode)
	}
	if s.Template != "x64;1033" || s.PageCount != 500 || s.WordCount != 2 || s.Codepage != 1252 ||
		s.Subject != "Full App" || s.Author != "Grüße GmbH" || s.Title != "Installation Database" ||
		s.Comments != "full test package" || s.Security != 2 || !strings.HasPrefix(s.CreatingApplication, "msitools") {
		t.Errorf("unexpected summary: %+v", s)
	}
	if s.Created.IsZero() || s.LastSaved.IsZero() || s.Created.Year() < 2020 {
		t.Errorf("created/last saved = %v / %v", s.Created, s.LastSaved)
	}

	props, err := f.Properties()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"ProductName": "Full App", "ProductVersion": "2.0.1", "Manufacturer": "Grüße GmbH",
		"UpgradeCode": "{0F0F0F0F-1111-2222-3333-444444444444}", "ALLUSERS": "1",
		"EURO": "price: 5 € — naïve", "MULTILINE": "line1\nline2\tafter tab",
	} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q", k, props[k], v)
		}
	}
	// wixl leaves the database codepage at 0 (the ANSI codepage) even with
	// Product/@Codepage, and libmsi stores the strings in 1252.
	if cp, err := f.Codepage(); err != nil || cp != 0 {
		t.Errorf("Codepage() = %d, %v; want 0", cp, err)
	}

	ca, err := f.Table("CustomAction")
	if err != nil {
		t.Fatal(err)
	}
	typeCol := ca.ColumnIndex("Type")
	if c := ca.Columns[typeCol]; c.Kind != KindInt || c.Size != 2 || c.Nullable || c.IDTType() != "i2" {
		t.Errorf("CustomAction.Type column = %+v (%s)", c, c.IDTType())
	}
	if c := ca.Columns[0]; c.Kind != KindString || !c.Key || c.Size != 72 || c.IDTType() != "s72" {
		t.Errorf("CustomAction.Action column = %+v", c)
	}
	types := map[string]int{}
	for _, row := range ca.Rows {
		n, ok := row[typeCol].Int()
		if !ok {
			t.Errorf("CustomAction %s: Type is %v", row[0], row[typeCol].Kind())
		}
		types[row[0].String()] = n
		if ext := row[ca.ColumnIndex("ExtendedType")]; !ext.IsNull() {
			t.Errorf("CustomAction %s: ExtendedType = %v, want NULL", row[0], ext)
		}
	}
	// 51 = set property; 1 = DLL in Binary (+0x400 deferred, +0x40 ignore, +0x800 no impersonation);
	// 18 = EXE from an installed file (+0xC0 async no wait).
	if types["SetStamp"]&0x3F != 51 || types["DllCa"]&0x3F != 1 || types["DllCa"]&0x400 == 0 || types["RunApp"]&0x3F != 18 {
		t.Errorf("custom action types = %v", types)
	}

	for table, want := range map[string][]byte{"Binary": files["helper.dll"], "Icon": files["app.ico"]} {
		tb, err := f.Table(table)
		if err != nil {
			t.Fatal(err)
		}
		data := tb.ColumnIndex("Data")
		if tb.Columns[data].Kind != KindBinary || tb.Columns[data].IDTType() != "v0" {
			t.Errorf("%s.Data column = %+v", table, tb.Columns[data])
		}
		if len(tb.Rows) != 1 {
			t.Fatalf("%s has %d rows", table, len(tb.Rows))
		}
		name, ok := tb.Rows[0][data].StreamName()
		if !ok || name != table+"."+tb.Rows[0][0].String() {
			t.Errorf("%s.Data = %v (%v)", table, name, tb.Rows[0][data].Kind())
		}
		r, size, err := f.OpenStream(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || size != int64(len(want)) || !bytes.Equal(got, want) {
			t.Errorf("stream %s: %d bytes, err %v; want the %d-byte source file", name, len(got), err, len(want))
		}
	}

	if _, err := f.Table("NoSuchTable"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "table NoSuchTable") {
		t.Errorf("Table(NoSuchTable) error = %v", err)
	}
	if _, _, err := f.OpenStream("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenStream(nope) error = %v", err)
	}
	if f.Signed() {
		t.Error("Signed() = true for an unsigned package")
	}
}

// TestStringPoolLimits checks the two string-pool escapes directly: 3-byte
// references past 65,535 strings, and a string longer than 64 KB.
func TestStringPoolLimits(t *testing.T) {
	t.Run("manystrings", func(t *testing.T) {
		path := testMSIs[2].build(t)
		start := time.Now()
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Properties(); err != nil {
			t.Fatal(err)
		}
		t.Logf("open + Property table (%d rows) of the many-strings MSI: %v", manyStrings, time.Since(start))
		sp, err := f.stringPool()
		if err != nil {
			t.Fatal(err)
		}
		if sp.refSize != 3 || len(sp.strs) <= 65536 {
			t.Errorf("refSize %d with %d strings; want 3 with more than 65,536", sp.refSize, len(sp.strs))
		}
		props, err := f.Properties()
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, 12345, manyStrings - 1} {
			if k, want := fmt.Sprintf("P%05d", i), fmt.Sprintf("value number %05d", i); props[k] != want {
				t.Errorf("property %s = %q, want %q", k, props[k], want)
			}
		}
	})
	t.Run("longstring", func(t *testing.T) {
		f, err := Open(testMSIs[3].build(t))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		props, err := f.Properties()
		if err != nil {
			t.Fatal(err)
		}
		if got := props["LONGVALUE"]; got != longValue {
			t.Errorf("LONGVALUE has %d bytes, want %d", len(got), len(longValue))
		}
		if props["ProductName"] != "Edge" {
			t.Errorf("ProductName = %q after the long string", props["ProductName"])
		}
	})
}

// TestSigned signs a package with osslsigncode and checks that the
// signature streams are seen, and that the rest still reads as msiinfo
// reads it.
func TestSigned(t *testing.T) {
	needTool(t, "openssl")
	needTool(t, "osslsigncode")
	path := testMSIs[0].build(t)
	dir := t.TempDir()
	run(t, dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
		"-out", "cert.pem", "-subj", "/CN=msiforge test", "-days", "2")
	signed := filepath.Join(dir, "signed.msi")
	run(t, dir, "osslsigncode", "sign", "-certs", "cert.pem", "-key", "key.pem", "-add-msi-dse",
		"-in", path, "-out", signed)
	f, err := Open(signed)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Signed() {
		t.Fatalf("Signed() = false; streams %q", f.Streams())
	}
	for _, s := range []string{StreamDigitalSignature, StreamMsiDigitalSignatureEx} {
		if !slices.Contains(f.Streams(), s) {
			t.Errorf("stream %q missing from %q", s, f.Streams())
		}
	}
	compareWithMsiinfo(t, signed)

	unsigned, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unsigned.Close()
	if unsigned.Signed() {
		t.Error("Signed() = true before signing")
	}
}

// TestStringOver128K reads a string of more than 128 KB. The pool stores
// its length's high word in the escape entry (2 here) and the refcount (1)
// in the next; libmsi's reader takes the refcount as the high word, so
// wixl warns "string table load failed" and msiinfo shows the value cut
// short and the strings after it shifted. This reader returns the value
// that was written.
func TestStringOver128K(t *testing.T) {
	huge := strings.Repeat("0123456789abcdef", 140000/16) + "end"
	path, stderr := buildMSIWarn(t, productWXS(`    <Property Id="HUGE" Value="`+huge+`"/>`), nil)
	if stderr != "" && !strings.Contains(stderr, "string table load failed") {
		t.Fatalf("unexpected wixl output: %s", stderr)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props, err := f.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if got := props["HUGE"]; got != huge {
		t.Errorf("HUGE has %d bytes, want %d", len(got), len(huge))
	}
	if props["ProductName"] != "Edge" || props["Manufacturer"] != "Edge Corp" {
		t.Errorf("strings after the huge one: ProductName %q, Manufacturer %q", props["ProductName"], props["Manufacturer"])
	}
	if _, err := execx.LookPath("msiinfo"); err == nil {
		for _, line := range lines(run(t, t.TempDir(), "msiinfo", "export", path, "Property")) {
			if k, v, _ := strings.Cut(line, "\t"); k == "HUGE" {
				t.Logf("for comparison, msiinfo export reads HUGE as %d bytes (written: %d)", len(v), len(huge))
			}
		}
	}
}
