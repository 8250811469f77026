package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/testutil"
)

// good is a valid config; cases below change one thing at a time.
const good = `version: 1
product:
  name: Example Support Console
  manufacturer: Example Corp
  version: 1.4.2
  upgrade_code: 3f6c1b0e-8e4a-4c53-9d0b-6a1e2f3c4d5e
console:
  executable: Console.exe
  payload:
    x64: [bin/Console.exe, README.txt]
    x86: [bin/Console.exe]
`

// withVSC is good with both VSC packages; cases below edit it.
const withVSC = good + `vsc:
  representative:
    files:
      x64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}
      x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}
  customer:
    description: Lets a technician use this computer's smart cards
    files:
      x64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}
      x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}
`

// dir makes a config directory holding the payload files good refers to.
func dir(t *testing.T) string {
	d := t.TempDir()
	for _, f := range []string{"bin/Console.exe", "README.txt", "vsc/vsc.inf", "vsc/vsc.sys", "vsc/vsc.cat", "vsc/VscService.exe"} {
		p := filepath.Join(d, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(d, "adir.exe"), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseGoodAppliesDefaults(t *testing.T) {
	d := dir(t)
	c, err := config.Parse([]byte(good), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	if c.Product.UpgradeCode != "3F6C1B0E-8E4A-4C53-9D0B-6A1E2F3C4D5E" {
		t.Errorf("UpgradeCode = %q, want upper case", c.Product.UpgradeCode)
	}
	if got, want := c.Architectures, []string{"x86", "x64"}; !cmp.Equal(got, want) {
		t.Errorf("Architectures = %v, want %v", got, want)
	}
	if c.Output.Name != "example-support-console" || c.Output.Dir != "dist" {
		t.Errorf("Output = %+v", c.Output)
	}
	if *c.Console.Defaults.RunAtStartup != 0 || *c.Console.Defaults.ShouldAutoUpdate != 0 {
		t.Errorf("Defaults = %d %d, want 0 0", *c.Console.Defaults.RunAtStartup, *c.Console.Defaults.ShouldAutoUpdate)
	}
	if !*c.Console.Shortcut.Enabled || c.Console.Shortcut.Name != "Example Support Console" {
		t.Errorf("Shortcut = %+v", c.Console.Shortcut)
	}
	if got := c.Path("bin/Console.exe"); got != filepath.Join(d, "bin/Console.exe") {
		t.Errorf("Path resolves to %s, want it under the config directory", got)
	}
	if got := c.PayloadArchs(); !cmp.Equal(got, []string{"x86", "x64"}) {
		t.Errorf("PayloadArchs = %v", got)
	}
}

func TestParseVSCDefaults(t *testing.T) {
	c, err := config.Parse([]byte(withVSC), "msiforge.yaml", dir(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.VSC.Scope != config.ScopeMachine {
		t.Errorf("Scope = %q, want %q", c.VSC.Scope, config.ScopeMachine)
	}
	rep, cust := c.VSC.Representative, c.VSC.Customer
	if rep.ServiceName != "RemoteSupportVscRep" || rep.DisplayName != "Remote Support VSC Representative Service" || rep.Start != "auto" {
		t.Errorf("representative = %+v", rep)
	}
	if cust.ServiceName != "RemoteSupportVscCust" || cust.DisplayName != "Remote Support VSC Customer Service" || cust.Start != "auto" {
		t.Errorf("customer = %+v", cust)
	}
	if got := c.VSCArchitectures(); !cmp.Equal(got, []string{"x86", "x64"}) {
		t.Errorf("VSCArchitectures = %v, want the top-level ones", got)
	}
	if got := c.VSC.Packages(); len(got) != 2 || got[0].Role != "representative" || got[1].Role != "customer" {
		t.Errorf("Packages = %+v, want representative then customer", got)
	}
	if c2, _ := config.Parse([]byte(good), "msiforge.yaml", dir(t)); c2.VSC != nil || c2.VSC.Packages() != nil {
		t.Error("a config without vsc has VSC packages")
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	if _, err := config.Load(testutil.ExampleConfig(t)); err != nil {
		t.Fatal(err)
	}
}

func TestStarterParsesButNeedsEditing(t *testing.T) {
	// The starter is valid YAML with every key known; only its placeholder
	// payload is missing.
	if _, err := config.Parse(config.Starter, "msiforge.yaml", t.TempDir()); err == nil || !strings.Contains(err.Error(), "nil GUID") {
		t.Errorf("the raw starter (nil GUID) parses: %v", err)
	}
	_, err := config.Parse(config.NewStarter(config.NewUpgradeCode()), "msiforge.yaml", t.TempDir())
	ve, ok := err.(*config.ValidationError)
	if !ok {
		t.Fatalf("err = %v, want a ValidationError about the payload only", err)
	}
	for _, p := range ve.Problems {
		if !strings.Contains(p, "console.payload.") || !strings.Contains(p, "does not exist") {
			t.Errorf("unexpected problem in the starter config: %s", p)
		}
	}
}

// parseErrorCase is a bad config and what msiforge says of it.
type parseErrorCase struct {
	name string
	edit func(string) string
	want string // the whole error message
}

// parseErrorCases are the bad configs of TestParseErrors, each one edit
// of good.
var parseErrorCases = []parseErrorCase{
	{"empty", func(string) string { return "" }, "msiforge.yaml: empty config (start from 'msiforge init')"},
	{"version missing", func(s string) string { return strings.Replace(s, "version: 1\n", "", 1) },
		"msiforge.yaml: 1 problem:\n  msiforge.yaml:1: version: is required: write \"version: 1\" as the first line"},
	{"version 2", func(s string) string { return strings.Replace(s, "version: 1", "version: 2", 1) },
		"msiforge.yaml:1: version: 2 is not supported (this msiforge reads version: 1)"},
	{"unknown field", func(s string) string { return strings.Replace(s, "  version: 1.4.2", "  verison: 1.4.2", 1) },
		"msiforge.yaml: 2 problems:\n  msiforge.yaml:3: product.version: is required (want major.minor.build with major and minor at most 255 and build at most 65535)\n" +
			"  msiforge.yaml:5: product.verison: unknown key \"verison\" in product (known keys: name, manufacturer, version, upgrade_code, description, icon, help_url, about_url, language; msiforge schema config describes each)"},
	{"syntax", func(s string) string { return s + "  - ]\n" },
		"msiforge.yaml:7: did not find expected key"},
	{"two documents", func(s string) string { return s + "---\nversion: 1\n" },
		"msiforge.yaml: want one YAML document, found more"},
	{"version 256.0.0", func(s string) string { return strings.Replace(s, "1.4.2", "256.0.0", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:5: product.version: "256.0.0": major 256 is larger than 255 (want major.minor.build with major and minor at most 255 and build at most 65535)`},
	{"build 65536", func(s string) string { return strings.Replace(s, "1.4.2", "1.4.65536", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:5: product.version: "1.4.65536": build 65536 is larger than 65535 (want major.minor.build with major and minor at most 255 and build at most 65535)`},
	{"pre-release", func(s string) string { return strings.Replace(s, "1.4.2", "1.2.3-beta", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:5: product.version: "1.2.3-beta" is not a valid ProductVersion (want major.minor.build with major and minor at most 255 and build at most 65535; pre-release and build suffixes are not allowed)`},
	{"two fields", func(s string) string { return strings.Replace(s, "1.4.2", "1.2", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:5: product.version: "1.2" is not a valid ProductVersion (want major.minor.build with major and minor at most 255 and build at most 65535; all three fields are needed)`},
	{"four fields", func(s string) string { return strings.Replace(s, "1.4.2", "1.4.2.7", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:5: product.version: "1.4.2.7" is not a valid ProductVersion (want major.minor.build with major and minor at most 255 and build at most 65535; Windows Installer ignores a 4th field, so upgrades would not be detected)`},
	{"bad guid", func(s string) string { return strings.Replace(s, "3f6c1b0e-8e4a", "3f6c1b0e-8e4g", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:6: product.upgrade_code: "3F6C1B0E-8E4G-4C53-9D0B-6A1E2F3C4D5E" is not a GUID (want XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX, hexadecimal; generate one with 'msiforge guid')`},
	{"long name", func(s string) string {
		return strings.Replace(s, "name: Example Support Console", "name: "+strings.Repeat("n", 64), 1)
	}, `msiforge.yaml: 1 problem:
  msiforge.yaml:3: product.name: "` + strings.Repeat("n", 64) + `" is 64 characters long; at most 63 are allowed`},
	{"control character", func(s string) string {
		return strings.Replace(s, "manufacturer: Example Corp", `manufacturer: "Example\tCorp"`, 1)
	},
		`msiforge.yaml: 1 problem:
  msiforge.yaml:4: product.manufacturer: "Example\tCorp" must not contain control characters`},
	{"folder character", func(s string) string {
		return strings.Replace(s, "manufacturer: Example Corp", `manufacturer: Example/Corp`, 1)
	},
		`msiforge.yaml: 1 problem:
  msiforge.yaml:4: product.manufacturer: "Example/Corp" must not contain any of \/:*?"<>|[]{} (it is used as a Windows folder name and in formatted MSI fields)`},
	{"missing payload file", func(s string) string { return strings.Replace(s, "README.txt]", "MISSING.txt]", 1) },
		"msiforge.yaml: 1 problem:\n  msiforge.yaml:10: console.payload.x64[1]: file " + "DIR/MISSING.txt does not exist"},
	{"payload is a directory", func(s string) string {
		return strings.Replace(strings.Replace(s, "executable: Console.exe", "executable: adir.exe", 1), "x86: [bin/Console.exe]", "x86: [adir.exe]", 1)
	}, "msiforge.yaml: 2 problems:\n  msiforge.yaml:10: console.payload.x64: does not contain the console executable \"adir.exe\" (at the top of INSTALLDIR)\n  msiforge.yaml:11: console.payload.x86[0]: DIR/adir.exe is not a regular file"},
	{"bad arch and defaults, all at once", func(s string) string {
		return s + "  defaults:\n    run_at_startup: 2\n    should_auto_update: -1\narchitectures: [x64, ia64, x64]\n"
	}, `msiforge.yaml: 4 problems:
  msiforge.yaml:13: console.defaults.run_at_startup: 2 is not allowed (want 0 or 1)
  msiforge.yaml:14: console.defaults.should_auto_update: -1 is not allowed (want 0 or 1)
  msiforge.yaml:15: architectures[1]: "ia64" is not one of x86, x64, arm64 (msiforge also reads 386, i386, i686 as x86; amd64, x86_64 as x64; aarch64 as arm64)
  msiforge.yaml:15: architectures[2]: "x64" is listed twice`},
	{"arch without payload", func(s string) string { return s + "architectures: [arm64]\n" },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:12: architectures[0]: "arm64" has no payload (add console.payload.arm64 or console.files.arm64)`},
	{"executable path", func(s string) string {
		return strings.Replace(s, "executable: Console.exe", "executable: bin/Console.exe", 1)
	},
		`msiforge.yaml: 1 problem:
  msiforge.yaml:8: console.executable: "bin/Console.exe" must be a file name, not a path`},
	{"duplicate file names", func(s string) string {
		return strings.Replace(s, "x86: [bin/Console.exe]", "x86: [bin/Console.exe, bin/CONSOLE.EXE]", 1)
	},
		`msiforge.yaml: 1 problem:
  msiforge.yaml:11: console.payload.x86[1]: file name "CONSOLE.EXE" is already used by console.payload.x86[0] (Windows file names are case-insensitive)`},
	{"bad url", func(s string) string {
		return strings.Replace(s, "console:\n", "  help_url: ftp://example.com\nconsole:\n", 1)
	},
		`msiforge.yaml: 1 problem:
  msiforge.yaml:7: product.help_url: "ftp://example.com" is not an absolute http or https URL`},
	{"signing: cert without key", func(s string) string { return s + "signing:\n  cert: README.txt\n" },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:13: signing: signing.cert and signing.key go together: give both`},
	{"signing: pkcs12 and PEM, missing file, bad URL", func(s string) string {
		return s + "signing:\n  cert: README.txt\n  key: nokey.pem\n  pkcs12: README.txt\n  password_env: P12PW\n  timestamp: [tsa.example.com]\n"
	}, `msiforge.yaml: 3 problems:
  msiforge.yaml:14: signing.key: file DIR/nokey.pem does not exist
  msiforge.yaml:15: signing.pkcs12: cannot be combined with signing.cert and signing.key: give either a PKCS#12 file or a PEM certificate and key
  msiforge.yaml:17: signing.timestamp[0]: "tsa.example.com" is not an absolute http or https URL`},
	{"signing: pkcs11 incomplete", func(s string) string {
		return s + "signing:\n  pkcs11:\n    module: /usr/lib/x.so\n    key_label: a\n    key_id: zz\n    pin_env: PIN\n    pin_file: pin.txt\n"
	}, `msiforge.yaml: 3 problems:
  msiforge.yaml:14: signing.pkcs11.token: is required: the token's label
  msiforge.yaml:14: signing.pkcs11: give one of key_label and key_id, not both
  msiforge.yaml:14: signing.pkcs11: give one of pin_env and pin_file, not both`},
	{"signing: two key sources, remote URL, command without artifact", func(s string) string {
		return s + "signing:\n  key: README.txt\n  cert: README.txt\n  remote:\n    url: http://signer:6300\n  command: [signtool, sign, setup.exe]\n"
	}, `msiforge.yaml: 4 problems:
  msiforge.yaml:13: signing: give one key source, not signing.key/signing.pkcs12 and signing.remote and signing.command: a key file, a PKCS#11 token, a relic server or a signing command
  msiforge.yaml:16: signing.remote.key: is required: the name of the key in the relic server's config
  msiforge.yaml:16: signing.remote.url: "http://signer:6300" is not an https://host:port URL
  msiforge.yaml:17: signing.command: does not name the file to sign: put ${artifact} where the command takes it`},
	{"signing: remote with timestamps", func(s string) string {
		return s + "signing:\n  timestamp: [http://tsa.example.com]\n  remote:\n    key: codesign\n    client_key: nokey.pem\n"
	}, `msiforge.yaml: 2 problems:
  msiforge.yaml:13: signing.timestamp: does not go with signing.remote: the server timestamps (timestamp: true on the key in relic's config)
  msiforge.yaml:16: signing.remote.client_key: file DIR/nokey.pem does not exist`},
	{"signing: password without a key", func(s string) string {
		return s + "signing:\n  password_file: README.txt\n"
	}, `msiforge.yaml: 1 problem:
  msiforge.yaml:13: signing: signing.password_env and signing.password_file are only for signing.pkcs12 or an encrypted signing.key`},
	{"bad output name", func(s string) string { return s + "output:\n  name: my console\n" },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:13: output.name: "my console" is not a file-name stem (letters, digits, '.', '_', '-'; starting with a letter or digit)`},
	{"vsc per-user scope", func(string) string { return strings.Replace(withVSC, "vsc:\n", "vsc:\n  scope: user\n", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:13: vsc.scope: "user" is not allowed: the VSC packages install a service and a driver, which need a per-machine package (ICE105); remove the setting or use "machine"`},
	{"vsc unknown scope", func(string) string { return strings.Replace(withVSC, "vsc:\n", "vsc:\n  scope: both\n", 1) },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:13: vsc.scope: "both" is not one of machine, user (and only machine is allowed: services and drivers need a per-machine package, ICE105)`},
	{"vsc empty", func(s string) string { return s + "vsc: {}\n" },
		`msiforge.yaml: 1 problem:
  msiforge.yaml:12: vsc: configures no package: add vsc.representative, vsc.customer or both`},
	{"vsc service settings, all at once", func(string) string {
		return strings.Replace(withVSC, "  customer:\n", "    start: boot\n    display_name: \"A [B]\"\n  customer:\n    service_name: remotesupportvscrep\n", 1)
	}, `msiforge.yaml: 3 problems:
  msiforge.yaml:17: vsc.representative.start: "boot" is not one of auto, demand, disabled
  msiforge.yaml:18: vsc.representative.display_name: "A [B]" must not contain any of \/:*?"<>|[]{} (it is used as a Windows folder name and in formatted MSI fields)
  msiforge.yaml:20: vsc.customer.service_name: "remotesupportvscrep" is already the service name of vsc.representative (service names are case-insensitive)`},
	{"vsc bad service name", func(string) string {
		return strings.Replace(withVSC, "  customer:\n", "  customer:\n    service_name: Remote Support\n", 1)
	}, `msiforge.yaml: 1 problem:
  msiforge.yaml:18: vsc.customer.service_name: "Remote Support" is not a service name (letters, digits, '_', '.', '-'; starting with a letter)`},
	{"vsc bad hardware id", func(string) string {
		return strings.Replace(withVSC, "  customer:\n", "  customer:\n    hardware_id: \"ROOT\\\\VSC[1]\"\n", 1)
	}, `msiforge.yaml: 1 problem:
  msiforge.yaml:18: vsc.customer.hardware_id: "ROOT\\VSC[1]" is not a hardware ID (at most 200 of letters, digits and \ _ - & * . #, like ROOT\VSCREADER)`},
	{"vsc files", func(string) string {
		s := strings.Replace(withVSC, "x64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys,", "x64: {inf: vsc/missing.inf, sys: vsc/vsc.inf,", 1)
		return strings.Replace(s, "x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n  customer", "arm64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat}\n  customer", 1)
	}, `msiforge.yaml: 4 problems:
  msiforge.yaml:15: vsc.representative.files.x64.inf: file DIR/vsc/missing.inf does not exist
  msiforge.yaml:15: vsc.representative.files.x64.sys: "vsc/vsc.inf" must end in .sys
  msiforge.yaml:15: vsc.representative.files: has no files for "x86" (architectures[0]; add vsc.representative.files.x86)
  msiforge.yaml:16: vsc.representative.files.arm64.service: is required (a .exe file)`},
	{"vsc architectures", func(string) string {
		return strings.Replace(withVSC, "vsc:\n", "vsc:\n  architectures: [x64, arm64, x64, ia64]\n", 1)
	}, `msiforge.yaml: 4 problems:
  msiforge.yaml:13: vsc.architectures[2]: "x64" is listed twice
  msiforge.yaml:13: vsc.architectures[3]: "ia64" is not one of x86, x64, arm64 (msiforge also reads 386, i386, i686 as x86; amd64, x86_64 as x64; aarch64 as arm64)
  msiforge.yaml:16: vsc.representative.files: has no files for "arm64" (vsc.architectures[1]; add vsc.representative.files.arm64)
  msiforge.yaml:21: vsc.customer.files: has no files for "arm64" (vsc.architectures[1]; add vsc.customer.files.arm64)`},
	{"vsc product name too long for the package name", func(string) string {
		return strings.Replace(withVSC, "name: Example Support Console", "name: "+strings.Repeat("n", 50), 1)
	}, `msiforge.yaml: 1 problem:
  msiforge.yaml:3: product.name: "` + strings.Repeat("n", 50) + `" is too long for the VSC package name "` + strings.Repeat("n", 50) + ` VSC Representative" (69 characters; at most 63)`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			d := dir(t)
			_, err := config.Parse([]byte(tt.edit(good)), "msiforge.yaml", d)
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.ReplaceAll(err.Error(), d, "DIR")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseClearMessages: the decoder's findings name the line, the field
// and what is allowed, and do not stop at the first (issue 12).
func TestParseClearMessages(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // fragments of the message
	}{
		{"duplicate top-level key", func(s string) string { return s + "version: 1\n" },
			[]string{`msiforge.yaml:12: version: the key "version" is given twice, on lines 1 and 12; give it once`}},
		{"duplicate nested key", func(s string) string {
			return strings.Replace(s, "  version: 1.4.2\n", "  version: 1.4.2\n  version: 1.4.3\n", 1)
		}, []string{`msiforge.yaml:6: product.version: the key "version" is given twice, on lines 5 and 6`}},
		{"quoted version", func(s string) string { return strings.Replace(s, "version: 1\n", "version: \"1\"\n", 1) },
			[]string{`msiforge.yaml:1: version: "1" is a string; it must be the number 1, without quotes`}},
		{"type errors and unknown keys, all at once", func(s string) string {
			return strings.Replace(s, "  executable: Console.exe\n", "  executable: [Console.exe]\n  exe: maybe\n  colour: blue\n  defaults:\n    run_at_startup: yes\n", 1)
		}, []string{
			`msiforge.yaml:8: console.executable: is a list; want a single text value`,
			`msiforge.yaml:9: console.exe: "maybe" is a string; want true or false`,
			`msiforge.yaml:10: console.colour: unknown key "colour" in console (known keys: executable, payload, files, shortcut, defaults, exe;`,
			`msiforge.yaml:12: console.defaults.run_at_startup: "yes" is a string; want 0 or 1`,
			"4 problems",
		}},
		{"raw NUL", func(s string) string {
			return strings.Replace(s, "manufacturer: Example Corp", "manufacturer: Example\x00Corp", 1)
		}, []string{"msiforge.yaml:4: product.manufacturer: column 24: U+0000 (NUL), which a YAML file may not hold"}},
		{"U+FFFE and a C1 control, each with its line", func(s string) string {
			s = strings.Replace(s, "manufacturer: Example Corp", "manufacturer: Example\uFFFECorp", 1)
			return s + "  description: a\u0085b\u0080\n"
		}, []string{
			"msiforge.yaml:4: product.manufacturer: column 24: U+FFFE (a noncharacter)",
			"msiforge.yaml:12: console.description: column 19: U+0080 (a C1 control character)",
		}},
		{"invalid UTF-8", func(s string) string { return strings.Replace(s, "name: Example", "name: Ex\xffample", 1) },
			[]string{"msiforge.yaml:3: product.name: column 11: the byte 0xFF, which is not valid UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.edit(good)), "msiforge.yaml", dir(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// hostileStrings are values a compiler would expand or the package's code
// page cannot hold.
var hostileStrings = map[string]string{
	"$(env.MSIFORGE_PW)":  `contains "$(", which wixl's preprocessor would expand`,
	"$$(env.MSIFORGE_PW)": `contains "$(", which wixl's preprocessor would expand`,
	"A $(var.X)":          `contains "$(", which wixl's preprocessor would expand`,
	"A $(sys.CURRENTDIR)": `contains "$(", which wixl's preprocessor would expand`,
	"Файл":                "contains U+0424 (Ф), which the package's code page 1252 (Western European) cannot hold",
	"製品":                  "contains U+88FD (製), which the package's code page",
	"A\u2028B":            "U+2028 (a line or paragraph separator), which the package's code page",
	"A\u202EB":            "U+202E (a bidirectional text control), which the package's code page",
}

// TestParseRefusesExpandableAndForeignText: every string field that reaches
// a generated source refuses what a compiler would expand and what the
// code page cannot hold, naming the field.
func TestParseRefusesExpandableAndForeignText(t *testing.T) {
	fields := []struct {
		path string
		set  func(string) string
	}{
		{"product.name", func(v string) string {
			return strings.Replace(good, "name: Example Support Console", "name: "+strconvQuote(v), 1)
		}},
		{"product.manufacturer", func(v string) string {
			return strings.Replace(good, "manufacturer: Example Corp", "manufacturer: "+strconvQuote(v), 1)
		}},
		{"product.description", func(v string) string {
			return strings.Replace(good, "console:\n", "  description: "+strconvQuote(v)+"\nconsole:\n", 1)
		}},
		{"console.shortcut.name", func(v string) string { return good + "  shortcut:\n    name: " + strconvQuote(v) + "\n" }},
		{"vsc.customer.display_name", func(v string) string {
			return strings.Replace(withVSC, "  customer:\n", "  customer:\n    display_name: "+strconvQuote(v)+"\n", 1)
		}},
		{"vsc.customer.description", func(v string) string {
			return strings.Replace(withVSC, "    description: Lets a technician use this computer's smart cards", "    description: "+strconvQuote(v), 1)
		}},
	}
	for _, f := range fields {
		for v, want := range hostileStrings {
			_, err := config.Parse([]byte(f.set(v)), "msiforge.yaml", dir(t))
			if err == nil || !strings.Contains(err.Error(), f.path+": ") || !strings.Contains(err.Error(), want) {
				t.Errorf("%s = %q: err = %v, want %q naming the field", f.path, v, err, want)
			}
		}
	}
	// The URL and the NSIS-only sequences.
	for _, tc := range []struct{ yaml, want string }{
		{strings.Replace(good, "console:\n", "  help_url: \"https://example.com/$(env.HOME)\"\nconsole:\n", 1), `product.help_url: "https://example.com/$(env.HOME)" contains "$("`},
		{strings.Replace(good, "name: Example Support Console", `name: "A ${X}"`, 1), `product.name: "A ${X}" must not contain any of`},
		{strings.Replace(good, "manufacturer: Example Corp", `manufacturer: "50$% off"`, 1), `product.manufacturer: "50$% off" contains "$%", which makensis would expand`},
	} {
		if _, err := config.Parse([]byte(tc.yaml), "msiforge.yaml", dir(t)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	// What is safe stays allowed: a lone '$', '!define', "${X}" where no
	// NSIS script sees it, '$' before anything but '('.
	ok := strings.Replace(good, "console:\n", "  description: \"!define X ${X} $\\\\n $$ 100$ $HOME\"\nconsole:\n", 1)
	ok = strings.Replace(ok, "name: Example Support Console", "name: Café $HOME! Über – 50 €", 1)
	if _, err := config.Parse([]byte(ok), "msiforge.yaml", dir(t)); err != nil {
		t.Errorf("safe values refused: %v", err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted string
	return string(b)
}

// TestParseNames: payload and folder names follow Windows' rules.
func TestParseNames(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"aux.txt", `console.payload.x64[1]: file name "aux.txt" is a reserved device name`},
		{"nul", `console.payload.x64[1]: file name "nul" is a reserved device name`},
		{"notes.", `console.payload.x64[1]: file name "notes." ends with a dot or a space`},
		{"notes ", `console.payload.x64[1]: file name "notes " ends with a dot or a space`},
		{"Файл.txt", `console.payload.x64[1]: "Файл.txt" contains U+0424 (Ф), which the package's code page 1252 (Western European) cannot hold`},
		{"製品.txt", `console.payload.x64[1]: "製品.txt" contains U+88FD (製)`},
		{"a$(env.X).txt", `console.payload.x64[1]: "a$(env.X).txt" contains "$("`},
	} {
		d := dir(t)
		if err := os.WriteFile(filepath.Join(d, tc.file), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		y := strings.Replace(good, "README.txt]", strconvQuote(tc.file)+"]", 1)
		if _, err := config.Parse([]byte(y), "msiforge.yaml", d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.file, err, tc.want)
		}
	}
	for field, edit := range map[string]func(string) string{
		"product.manufacturer":  func(s string) string { return strings.Replace(s, "manufacturer: Example Corp", "manufacturer: CON", 1) },
		"product.name":          func(s string) string { return strings.Replace(s, "name: Example Support Console", "name: LPT1.txt", 1) },
		"console.shortcut.name": func(s string) string { return s + "  shortcut:\n    name: com1\n" },
	} {
		if _, err := config.Parse([]byte(edit(good)), "msiforge.yaml", dir(t)); err == nil || !strings.Contains(err.Error(), field+": ") || !strings.Contains(err.Error(), "reserved Windows device name") {
			t.Errorf("%s: err = %v, want a reserved-name refusal", field, err)
		}
	}
}

// TestParseCabinetLimits: a file or payload larger than a cabinet holds,
// or more files than its 16-bit count, is refused with the limit.
func TestParseCabinetLimits(t *testing.T) {
	d := dir(t)
	big := filepath.Join(d, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(big, config.MaxCabinetBytes+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	y := strings.Replace(good, "README.txt]", "big.bin]", 1)
	_, err = config.Parse([]byte(y), "msiforge.yaml", d)
	for _, want := range []string{
		"msiforge.yaml:10: console.payload.x64[1]: " + big + " is 2147450881 bytes; a cabinet holds files of at most 2147450880 bytes (0x7FFF8000",
		"msiforge.yaml:10: console.payload.x64: holds 2147450882 bytes in all; a cabinet holds at most 2147450880 bytes",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}

	names := make([]string, config.MaxCabinetFiles+1)
	for i := range names {
		names[i] = fmt.Sprintf("f%d.txt", i)
	}
	y = strings.Replace(good, "[bin/Console.exe, README.txt]", "[bin/Console.exe, "+strings.Join(names[1:], ", ")+"]", 1)
	_, err = config.Parse([]byte(y), "msiforge.yaml", d)
	if want := "console.payload.x64: lists 65536 files; a cabinet holds at most 65535 (its file count is 16-bit)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err lacks %q", want)
	}
}

// TestParseWarnsPathBudget: a path that may exceed MAX_PATH is a warning
// with the numbers, not an error.
func TestParseWarnsPathBudget(t *testing.T) {
	d := dir(t)
	long := strings.Repeat("l", 150) + ".txt"
	if err := os.WriteFile(filepath.Join(d, long), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(good, "README.txt]", long+"]", 1)
	y = strings.Replace(y, "manufacturer: Example Corp", "manufacturer: "+strings.Repeat("m", 60), 1)
	c, err := config.Parse([]byte(y), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	want := `msiforge.yaml:10: console.payload.x64[1]: the installed file may be 283 characters (limit 259): C:\Users\UUUUUUUUUUUUUUUUUUUU\AppData\Local\` + strings.Repeat("m", 60) + `\Example Support Console\` + long + `, for a per-user install by a user with a 20-character name`
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], want) {
		t.Errorf("Warnings = %q, want one containing %q", c.Warnings, want)
	}
	if c2, err := config.Parse([]byte(good), "msiforge.yaml", dir(t)); err != nil || len(c2.Warnings) != 0 {
		t.Errorf("good config: warnings %q, err %v", c2.Warnings, err)
	}
}

// TestParseLengthLimits: free texts have a length limit (a 20 MB
// description crashed wixl), stated in the message.
func TestParseLengthLimits(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{strings.Replace(good, "console:\n", "  description: "+strings.Repeat("d", 1025)+"\nconsole:\n", 1), "product.description: is 1025 characters long; at most 1024 are allowed"},
		{strings.Replace(good, "console:\n", "  help_url: https://example.com/"+strings.Repeat("u", 2048)+"\nconsole:\n", 1), "product.help_url: is 2068 characters long; at most 2048 are allowed"},
		{good + "output:\n  name: " + strings.Repeat("o", 201) + "\n", "output.name: is 201 characters long; at most 200 are allowed"},
		{strings.Replace(good, "console:\n", "  icon: \"$(env.HOME).ico\"\nconsole:\n", 1), `product.icon: file name "$(env.HOME).ico" contains "$("`},
	} {
		if _, err := config.Parse([]byte(tc.yaml), "msiforge.yaml", dir(t)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestParseAnchors: anchors, aliases and merge keys still work.
func TestParseAnchors(t *testing.T) {
	y := strings.Replace(withVSC, "      x64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n      x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n  customer:",
		"      x64: &files {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n      x86: {<<: *files}\n  customer:", 1)
	c, err := config.Parse([]byte(y), "msiforge.yaml", dir(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.VSC.Representative.Files["x86"].SYS; got != "vsc/vsc.sys" {
		t.Errorf("merged x86 files: sys = %q", got)
	}
}
