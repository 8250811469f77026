package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
)

func TestLanguageSetsCodepage(t *testing.T) {
	for _, tc := range []struct {
		lang, cp int
		name     string
	}{
		{0, 1252, "Example Support Console"}, // default 1033
		{1036, 1252, "Démo Société"},
		{1041, 932, "ウィジェット"},
		{1049, 1251, "Консоль"},
		{1029, 1250, "Konzola Žluťoučký"},
	} {
		cfg := strings.Replace(good, "name: Example Support Console", "name: "+tc.name, 1)
		if tc.lang != 0 {
			cfg = strings.Replace(cfg, "  version: 1.4.2\n", "  version: 1.4.2\n  language: "+strconv.Itoa(tc.lang)+"\n", 1)
		}
		cfg += "output: {name: example}\n"
		c, err := config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
		if err != nil {
			t.Fatalf("language %d, name %q: %v", tc.lang, tc.name, err)
		}
		if got := c.Codepage().ID; got != tc.cp {
			t.Errorf("language %d: code page %d, want %d", tc.lang, got, tc.cp)
		}
		if tc.lang == 0 && c.Product.Language != 1033 {
			t.Errorf("default language = %d, want 1033", c.Product.Language)
		}
	}
}

func TestJapaneseRefusedUnder1252(t *testing.T) {
	cfg := strings.Replace(good, "name: Example Support Console", "name: ウィジェット", 1) + "output: {name: widget}\n"
	_, err := config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
	if err == nil {
		t.Fatal("ウィジェット accepted under code page 1252")
	}
	for _, s := range []string{
		"product.name: \"ウィジェット\" contains U+30A6 (ウ)",
		"the package's code page 1252 (Western European) cannot hold",
		"932 (Japanese)",
		"set product.language",
		"1041, ja-JP",
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	// Under 1251 (Cyrillic) the hint names 1251 first.
	cfg = strings.Replace(good, "name: Example Support Console", "name: Консоль", 1) + "output: {name: console}\n"
	_, err = config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
	if err == nil || !strings.Contains(err.Error(), "code pages 1251 (Cyrillic), 932 (Japanese)") || !strings.Contains(err.Error(), "1049, ru-RU, for 1251") {
		t.Errorf("Cyrillic under 1252: %v", err)
	}
	// A character no code page holds.
	cfg = strings.Replace(good, "name: Example Support Console", "name: Widget 🙂", 1)
	_, err = config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
	if err == nil || !strings.Contains(err.Error(), "no ANSI code page msiforge builds in holds it") {
		t.Errorf("emoji: %v", err)
	}
}

func TestUnknownLanguage(t *testing.T) {
	cfg := strings.Replace(good, "  version: 1.4.2\n", "  version: 1.4.2\n  language: 9999\n", 1)
	_, err := config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
	if err == nil || !regexp.MustCompile(`msiforge.yaml:6: product.language: 9999 is not a language msiforge can build .*1033 en-US.*1041 ja-JP`).MatchString(err.Error()) {
		t.Errorf("language 9999: %v", err)
	}
}

func TestNilUpgradeCodeRefused(t *testing.T) {
	cfg := strings.Replace(good, "3f6c1b0e-8e4a-4c53-9d0b-6a1e2f3c4d5e", `"{00000000-0000-0000-0000-000000000000}"`, 1)
	_, err := config.Parse([]byte(cfg), "msiforge.yaml", dir(t))
	if err == nil || !strings.Contains(err.Error(), "product.upgrade_code: is the nil GUID") || !strings.Contains(err.Error(), "'msiforge guid'") {
		t.Errorf("nil GUID: %v", err)
	}
}

func TestNewUpgradeCode(t *testing.T) {
	a, b := config.NewUpgradeCode(), config.NewUpgradeCode()
	re := regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)
	if !re.MatchString(a) || a == b || a == config.NilGUID {
		t.Errorf("NewUpgradeCode: %q, %q", a, b)
	}
	if !strings.Contains(string(config.NewStarter(a)), "upgrade_code: "+a+"\n") {
		t.Error("NewStarter does not carry the UpgradeCode")
	}
}

func TestLoadVersion(t *testing.T) {
	d := dir(t)
	p := filepath.Join(d, "msiforge.yaml")
	if err := os.WriteFile(p, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadVersion(p, config.VersionOverride{Value: "v2.3.0", Source: "--version"}, config.Options{})
	if err != nil || c.Product.Version != "2.3.0" || c.VersionSource != "--version" {
		t.Fatalf("LoadVersion = %+v, %v", c, err)
	}
	if c, _ := config.Load(p); c.VersionSource != "config" || c.Product.Version != "1.4.2" {
		t.Errorf("Load: version %q from %q", c.Product.Version, c.VersionSource)
	}
	// The config may leave product.version out when it is given.
	if err := os.WriteFile(p, []byte(strings.Replace(good, "  version: 1.4.2\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := config.LoadVersion(p, config.VersionOverride{Value: "3.0.1", Source: "MSIFORGE_VERSION"}, config.Options{}); err != nil || c.Product.Version != "3.0.1" {
		t.Errorf("no product.version: %v", err)
	}
	for in, want := range map[string]string{
		"2.3.0-rc.1": "MSIFORGE_VERSION: \"2.3.0-rc.1\" has a pre-release or build suffix",
		"256.0.0":    "MSIFORGE_VERSION: \"256.0.0\": major 256 is larger than 255",
		"1.2.3.4":    "MSIFORGE_VERSION: \"1.2.3.4\" is not a valid ProductVersion",
	} {
		_, err := config.LoadVersion(p, config.VersionOverride{Value: in, Source: "MSIFORGE_VERSION"}, config.Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestResolveVersion(t *testing.T) {
	if o, ok := config.ResolveVersion("1.0.0", "2.0.0"); !ok || o.Source != "--version" || o.Value != "1.0.0" {
		t.Errorf("flag and env: %+v", o)
	}
	if o, ok := config.ResolveVersion("", "2.0.0"); !ok || o.Source != "MSIFORGE_VERSION" {
		t.Errorf("env: %+v", o)
	}
	if _, ok := config.ResolveVersion("", " "); ok {
		t.Error("blank env overrides")
	}
}

// A command-line version (build --version, MSIFORGE_VERSION) wins over
// GoReleaser's, and the manifest says so.
func TestCommandLineVersionWinsOverGoReleaser(t *testing.T) {
	d := grDir(t, "1.2.3")
	p := filepath.Join(d, "msiforge.yaml")
	if err := os.WriteFile(p, []byte(grConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadVersion(p, config.VersionOverride{Value: "v2.0.1", Source: "--version"}, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Product.Version != "2.0.1" || c.VersionSource != "--version" || c.Console.Executable != "hello.exe" {
		t.Errorf("version %q from %q, executable %q; want 2.0.1 from --version and GoReleaser's payload", c.Product.Version, c.VersionSource, c.Console.Executable)
	}
}
