package hostile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/testutil"
)

const secret = "s3cret-value"

// TestConfig: hostile config files and values (issue 12).
func TestConfig(t *testing.T) {
	build := []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
	set := func(old, new string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			Edit(t, dir, old, new)
			return build
		}
	}
	exportSecret := func(t *testing.T, dir string) {
		// wixl inherits the process environment: export the secret for
		// real, as --password-env would find it.
		t.Setenv("MSIFORGE_PW", secret)
	}
	Run(t, []Case{
		{
			Name: "description $(env.X) does not leak the password",
			Setup: func(t *testing.T, dir string) []string {
				exportSecret(t, dir)
				Edit(t, dir, "description: Remote support console (example)", `description: "$(env.MSIFORGE_PW)"`)
				return build
			},
			Env:    map[string]string{"MSIFORGE_PW": secret},
			Code:   1,
			Stderr: []string{`msiforge.yaml:13: product.description: "$(env.MSIFORGE_PW)" contains "$(", which wixl's preprocessor would expand`},
			NotIn:  []string{secret},
			Out:    []string{},
		},
		{
			Name: "description $$(env.X) (the old escape) does not leak either",
			Setup: func(t *testing.T, dir string) []string {
				exportSecret(t, dir)
				Edit(t, dir, "description: Remote support console (example)", `description: "$$(env.MSIFORGE_PW)"`)
				return build
			},
			Code:   1,
			Stderr: []string{`product.description: "$$(env.MSIFORGE_PW)" contains "$("`},
			NotIn:  []string{secret},
			Out:    []string{},
		},
		{
			Name:   "product name $(sys.CURRENTDIR)",
			Setup:  set("  name: Example Support Console", `  name: "A $(sys.CURRENTDIR)"`),
			Code:   1,
			Stderr: []string{`msiforge.yaml:7: product.name: "A $(sys.CURRENTDIR)" contains "$("`},
			Out:    []string{},
		},
		{
			Name:   "payload named in Cyrillic",
			Setup:  payloadNamed("Файл.txt"),
			Code:   1,
			Stderr: []string{`console.payload.x64[1]: "Файл.txt" contains U+0424 (Ф), which the package's code page 1252 (Western European) cannot hold`},
			Out:    []string{},
		},
		{
			Name:   "payload named in Chinese",
			Setup:  payloadNamed("製品.txt"),
			Code:   1,
			Stderr: []string{`console.payload.x64[1]: "製品.txt" contains U+88FD (製)`},
			Out:    []string{},
		},
		{
			Name:   "shortcut named in Cyrillic",
			Setup:  set("shortcut:\n    name: Example Support Console", "shortcut:\n    name: Консоль"),
			Code:   1,
			Stderr: []string{`console.shortcut.name: "Консоль" contains U+041A (К)`},
			Out:    []string{},
		},
		{
			Name:   "payload named aux.txt",
			Setup:  payloadNamed("aux.txt"),
			Code:   1,
			Stderr: []string{`console.payload.x64[1]: file name "aux.txt" is a reserved device name`},
			Out:    []string{},
		},
		{
			Name:   "payload named nul",
			Setup:  payloadNamed("nul"),
			Code:   1,
			Stderr: []string{`console.payload.x64[1]: file name "nul" is a reserved device name`},
			Out:    []string{},
		},
		{
			Name:   "payload name with a trailing dot",
			Setup:  payloadNamed("README."),
			Code:   1,
			Stderr: []string{`file name "README." ends with a dot or a space`},
			Out:    []string{},
		},
		{
			Name:   "payload name with a trailing space",
			Setup:  payloadNamed("README "),
			Code:   1,
			Stderr: []string{`file name "README " ends with a dot or a space`},
			Out:    []string{},
		},
		{
			Name:   "manufacturer CON",
			Setup:  set("manufacturer: Example Corp", "manufacturer: CON"),
			Code:   1,
			Stderr: []string{`product.manufacturer: "CON" is a reserved Windows device name`},
			Out:    []string{},
		},
		{
			Name: "payload file larger than a cabinet holds",
			Setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "example", "README.txt")
				if err := os.Truncate(p, 0x7FFF8000+1); err != nil { // sparse
					t.Fatal(err)
				}
				return build
			},
			Code:   1,
			Stderr: []string{"is 2147450881 bytes; a cabinet holds files of at most 2147450880 bytes (0x7FFF8000"},
			Out:    []string{},
		},
		{
			Name: "more files than a cabinet counts",
			Setup: func(t *testing.T, dir string) []string {
				names := make([]string, 65536)
				for i := range names {
					names[i] = fmt.Sprintf("f%05d.txt", i)
				}
				Edit(t, dir, "x64:   [build/x64/ExampleConsole.exe, README.txt]", "x64:   [build/x64/ExampleConsole.exe, "+strings.Join(names, ", ")+"]")
				return build
			},
			Code:   1,
			Stderr: []string{"console.payload.x64: lists 65537 files; a cabinet holds at most 65535 (its file count is 16-bit)"},
			Out:    []string{},
		},
		{
			Name:   "SOURCE_DATE_EPOCH after 2107",
			Setup:  func(t *testing.T, dir string) []string { return build },
			Env:    map[string]string{"SOURCE_DATE_EPOCH": "4354819200"},
			Code:   1,
			Stderr: []string{`SOURCE_DATE_EPOCH="4354819200" is not allowed: want whole seconds since 1970 from 315532800 (1980-01-01T00:00:00Z) to 4354819198 (2107-12-31T23:59:58Z)`},
			Out:    []string{},
		},
		{
			Name:   "duplicate top-level key",
			Setup:  func(t *testing.T, dir string) []string { appendConfig(t, dir, "version: 1\n"); return build },
			Code:   1,
			Stderr: []string{`version: the key "version" is given twice, on lines 4 and`},
			Out:    []string{},
		},
		{
			Name:   "quoted version",
			Setup:  set("version: 1\n", "version: \"1\"\n"),
			Code:   1,
			Stderr: []string{`msiforge.yaml:4: version: "1" is a string; it must be the number 1, without quotes`},
			Out:    []string{},
		},
		{
			Name:   "U+FFFE in a value",
			Setup:  set("manufacturer: Example Corp", "manufacturer: Example\uFFFECorp"),
			Code:   1,
			Stderr: []string{"msiforge.yaml:8: product.manufacturer: column 24: U+FFFE (a noncharacter), which a YAML file may not hold"},
			Out:    []string{},
		},
		{
			Name:   "raw NUL byte",
			Setup:  set("manufacturer: Example Corp", "manufacturer: Example\x00Corp"),
			Code:   1,
			Stderr: []string{"msiforge.yaml:8: product.manufacturer: column 24: U+0000 (NUL)"},
			Out:    []string{},
		},
		{
			Name:   "U+2028 in the description (crashed wixl)",
			Setup:  set("description: Remote support console (example)", `description: "a\u2028b"`),
			Code:   1,
			Stderr: []string{`product.description: "a\u2028b" contains U+2028 (a line or paragraph separator)`},
			Out:    []string{},
		},
		{
			Name:   "U+202E in the product name (crashed wixl)",
			Setup:  set("  name: Example Support Console", `  name: "a\u202Eb"`),
			Code:   1,
			Stderr: []string{`product.name: "a\u202eb" contains U+202E (a bidirectional text control)`},
			Out:    []string{},
		},
		{
			Name:   "20 MB description (crashed wixl): the config's size cap",
			Setup:  set("description: Remote support console (example)", "description: "+strings.Repeat("d", 20<<20)),
			Code:   1,
			Stderr: []string{"larger than 1 MiB"},
			Out:    []string{},
		},
		{
			Name:   "long description under the size cap",
			Setup:  set("description: Remote support console (example)", "description: "+strings.Repeat("d", 500000)),
			Code:   1,
			Stderr: []string{"product.description: is 500000 characters long; at most 1024 are allowed"},
			Out:    []string{},
		},
		{
			Name: "unknown key and type error reported together",
			Setup: func(t *testing.T, dir string) []string {
				Edit(t, dir, "  executable: ExampleConsole.exe", "  executable: ExampleConsole.exe\n  colour: blue")
				Edit(t, dir, "run_at_startup: 0", "run_at_startup: yes")
				return build
			},
			Code:   1,
			Stderr: []string{"2 problems", `console.colour: unknown key "colour"`, `console.defaults.run_at_startup: "yes" is a string; want 0 or 1`},
			Out:    []string{},
		},
		{
			Name: "long names: a MAX_PATH warning, and the build goes on",
			Setup: func(t *testing.T, dir string) []string {
				Edit(t, dir, "manufacturer: Example Corp", "manufacturer: "+strings.Repeat("M", 100))
				payloadNamed(strings.Repeat("r", 100)+".txt")(t, dir)
				return []string{"render", "-f", "example/msiforge.yaml", "-o", "out", "--arch", "x64"}
			},
			Code: 0,
			Stderr: []string{"msiforge: warning: example/msiforge.yaml:", ": console.payload.x64[1]: the installed file may be 273 characters (limit 259): C:\\Users\\UUUUUUUUUUUUUUUUUUUU\\AppData\\Local\\MMMM",
				"for a per-user install by a user with a 20-character name"},
		},
	})
}

// payloadNamed renames the example's README.txt, in the config and on disk.
func payloadNamed(name string) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		replaceAll(t, dir, "README.txt]", quote(name)+"]")
		if err := os.WriteFile(filepath.Join(dir, "example", name), []byte("readme\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
	}
}

func replaceAll(t *testing.T, dir, old, new string) {
	t.Helper()
	p := filepath.Join(dir, "example", "msiforge.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", p, old)
	}
	if err := os.WriteFile(p, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendConfig(t *testing.T, dir, text string) {
	t.Helper()
	p := filepath.Join(dir, "example", "msiforge.yaml")
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// quote writes s as a YAML double-quoted string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestConfigStringsNeverExpand feeds every config string field what wixl's
// preprocessor and makensis expand, builds with the real tools, and checks
// that each build was refused with the field named, or that the MSI's
// tables (read with internal/msi) and the EXE hold the literal text; never
// an expansion (issue 12).
func TestConfigStringsNeverExpand(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	t.Setenv("MSIFORGE_PW", secret)
	t.Setenv("X", "expanded-X")
	cwd, _ := os.Getwd()

	type where struct{ table, column, key string } // key: the row's first column, "" for any row
	fields := []struct {
		path  string
		old   string // the example's line, replaced by prefix + quoted value
		pre   string
		wrap  func(v string) string // the value as the field takes it
		msi   string                // which MSI: "console" or "vsc"
		where where
		exe   bool // also in the EXE's version resource
	}{
		{"product.name", "  name: Example Support Console", "  name: ", nil, "console", where{"Property", "Value", "ProductName"}, true},
		{"product.manufacturer", "manufacturer: Example Corp", "manufacturer: ", nil, "console", where{"Property", "Value", "Manufacturer"}, true},
		{"product.description", "description: Remote support console (example)", "description: ", nil, "console", where{"_Summary", "Comments", ""}, false},
		{"product.help_url", "help_url: https://support.example.com/help", "help_url: ", url, "console", where{"Property", "Value", "ARPHELPLINK"}, false},
		{"product.about_url", "about_url: https://support.example.com/", "about_url: ", url, "console", where{"Property", "Value", "ARPURLINFOABOUT"}, false},
		{"console.shortcut.name", "shortcut:\n    name: Example Support Console", "shortcut:\n    name: ", nil, "console", where{"Shortcut", "Name", ""}, false},
		{"console.payload.x64[1]", "", "", nil, "console", where{"File", "FileName", ""}, false},
		{"vsc.representative.display_name", "display_name: Remote Support VSC Representative Service", "display_name: ", nil, "vsc", where{"ServiceInstall", "DisplayName", ""}, false},
		{"vsc.representative.description", "description: Lets the technician use a local smart card on the remote computer (SAMPLE)", "description: ", nil, "vsc", where{"ServiceInstall", "Description", ""}, false},
		{"output.name", "  name: example-console", "  name: ", nil, "", where{}, false},
	}
	values := []struct {
		v     string
		build bool // must build (the field takes it); false: must be refused; both for "either"
		any   bool
	}{
		{"$(env.MSIFORGE_PW)", false, false},
		{"$(var.X)", false, false},
		{"$(sys.CURRENTDIR)", false, false},
		{"$$(env.MSIFORGE_PW)", false, false},
		{"!define X 1 $$ $X 100$", true, false},
		{"${X}", false, true},
		{`$\n`, false, true},
		{"$%X%", false, true},
	}
	for _, f := range fields {
		built, attempted := 0, 0
		for i, val := range values {
			v := val.v
			if f.wrap != nil {
				v = f.wrap(v)
			}
			if f.path == "output.name" && val.build {
				continue // a file-name stem: letters, digits, '.', '_', '-' only
			}
			// The value stays out of the test name: t.TempDir uses it.
			t.Run(fmt.Sprintf("%s/%d", f.path, i), func(t *testing.T) {
				t.Logf("%s = %q", f.path, v)
				if val.build {
					attempted++
				}
				dir := t.TempDir()
				if err := testutil.WriteExample(filepath.Join(dir, "example")); err != nil {
					t.Fatal(err)
				}
				Edit(t, dir, "dir: ../../dist", "dir: ../out")
				if f.path == "console.payload.x64[1]" {
					payloadNamed(v)(t, dir)
				} else {
					Edit(t, dir, f.old, f.pre+quote(v))
				}
				var stdout, stderr bytes.Buffer
				args := []string{"build", "-f", filepath.Join(dir, "example", "msiforge.yaml"), "--arch", "x64"}
				code := cli.Main(context.Background(), args, &stdout, &stderr, os.Getenv)
				// $(sys.CURRENTDIR) would be wixl's work directory.
				for _, leak := range []string{secret, "expanded-X", cwd, "/.msiforge-"} {
					if strings.Contains(stdout.String()+stderr.String(), leak) {
						t.Errorf("output holds %q:\n%s", leak, &stderr)
					}
					notInFiles(t, filepath.Join(dir, "out"), leak)
				}
				switch {
				case code == 1 && (!val.build || val.any):
					if !strings.Contains(stderr.String(), f.path+": ") {
						t.Errorf("refused without naming %s:\n%s", f.path, &stderr)
					}
					if got := List(t, filepath.Join(dir, "out")); len(got) != 0 {
						t.Errorf("refused, but out/ holds %q", got)
					}
				case code == 0 && (val.build || val.any):
					built++
					if f.msi != "" {
						checkLiteral(t, dir, f.msi, f.where.table, f.where.column, f.where.key, v)
					}
					if f.exe {
						exe := findOut(t, dir, "-x64.exe")
						b, _ := os.ReadFile(exe)
						if !bytes.Contains(b, utf16le(v)) {
							t.Errorf("%s lacks %q in its version resource", exe, v)
						}
					}
				default:
					t.Errorf("exit %d (want %s):\n%s", code, map[bool]string{true: "a build", false: "a refusal"}[val.build], &stderr)
				}
			})
		}
		if built == 0 && attempted > 0 && f.path != "output.name" {
			t.Errorf("%s: no value built, so the literal path was not exercised", f.path)
		}
	}
}

func url(v string) string { return "https://example.com/?q=" + v }

func findOut(t *testing.T, dir, suffix string) string {
	t.Helper()
	for _, n := range List(t, filepath.Join(dir, "out")) {
		if strings.HasSuffix(n, suffix) {
			return filepath.Join(dir, "out", n)
		}
	}
	t.Fatalf("out/ has no *%s: %q", suffix, List(t, filepath.Join(dir, "out")))
	return ""
}

// checkLiteral finds v, exactly, in a column of the built MSI (a
// short|long file name matches by its long part).
func checkLiteral(t *testing.T, dir, which, table, column, key, v string) {
	t.Helper()
	suffix := "-1.4.2-x64.msi"
	if which == "vsc" {
		suffix = "-vsc-representative-1.4.2-x64.msi"
	}
	f, err := msi.Open(findOut(t, dir, suffix))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if table == "_Summary" {
		s, err := f.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if s.Comments != v {
			t.Errorf("summary Comments = %q, want %q", s.Comments, v)
		}
		return
	}
	rows, err := f.Rows(table)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, r := range rows {
		if key != "" && r["Property"] != key {
			continue
		}
		got := r[column]
		if i := strings.IndexByte(got, '|'); i >= 0 && table != "Property" {
			got = got[i+1:]
		}
		if got == v {
			return
		}
		seen = append(seen, r[column])
	}
	t.Errorf("%s.%s (%s) holds %q, not %q", table, column, key, seen, v)
}

func notInFiles(t *testing.T, dir, s string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(s)) || bytes.Contains(b, utf16le(s)) {
				t.Errorf("%s contains %q", p, s)
			}
		}
		return nil
	})
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}
