package config_test

import (
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
	_, err := config.Parse(config.Starter, "msiforge.yaml", t.TempDir())
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

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want string // the whole error message
	}{
		{"empty", func(string) string { return "" }, "msiforge.yaml: empty config (start from 'msiforge init')"},
		{"version missing", func(s string) string { return strings.Replace(s, "version: 1\n", "", 1) },
			"msiforge.yaml:1: version: (missing) is not supported (this msiforge reads version: 1)"},
		{"version 2", func(s string) string { return strings.Replace(s, "version: 1", "version: 2", 1) },
			"msiforge.yaml:1: version: 2 is not supported (this msiforge reads version: 1)"},
		{"unknown field", func(s string) string { return strings.Replace(s, "  version: 1.4.2", "  verison: 1.4.2", 1) },
			"msiforge.yaml: 1 problem:\n  msiforge.yaml:5: unknown field \"verison\" in product (see the configuration reference in README.md)"},
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
  msiforge.yaml:6: product.upgrade_code: "3F6C1B0E-8E4G-4C53-9D0B-6A1E2F3C4D5E" is not a GUID (want XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX, hexadecimal)`},
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
		}, "msiforge.yaml: 2 problems:\n  msiforge.yaml:10: console.payload.x64: does not contain the console executable \"adir.exe\"\n  msiforge.yaml:11: console.payload.x86[0]: DIR/adir.exe is not a regular file"},
		{"bad arch and defaults, all at once", func(s string) string {
			return s + "  defaults:\n    run_at_startup: 2\n    should_auto_update: -1\narchitectures: [x64, ia64, x64]\n"
		}, `msiforge.yaml: 4 problems:
  msiforge.yaml:13: console.defaults.run_at_startup: 2 is not allowed (want 0 or 1)
  msiforge.yaml:14: console.defaults.should_auto_update: -1 is not allowed (want 0 or 1)
  msiforge.yaml:15: architectures[1]: "ia64" is not one of x86, x64, arm64
  msiforge.yaml:15: architectures[2]: "x64" is listed twice`},
		{"arch without payload", func(s string) string { return s + "architectures: [arm64]\n" },
			`msiforge.yaml: 1 problem:
  msiforge.yaml:12: architectures[0]: "arm64" has no payload (add console.payload.arm64)`},
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
  msiforge.yaml:13: vsc.architectures[3]: "ia64" is not one of x86, x64, arm64
  msiforge.yaml:16: vsc.representative.files: has no files for "arm64" (vsc.architectures[1]; add vsc.representative.files.arm64)
  msiforge.yaml:21: vsc.customer.files: has no files for "arm64" (vsc.architectures[1]; add vsc.customer.files.arm64)`},
		{"vsc product name too long for the package name", func(string) string {
			return strings.Replace(withVSC, "name: Example Support Console", "name: "+strings.Repeat("n", 50), 1)
		}, `msiforge.yaml: 1 problem:
  msiforge.yaml:3: product.name: "` + strings.Repeat("n", 50) + `" is too long for the VSC package name "` + strings.Repeat("n", 50) + ` VSC Representative" (69 characters; at most 63)`},
	}
	for _, tt := range tests {
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
