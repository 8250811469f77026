// Package config reads msiforge.yaml: a strict YAML decode, defaults, and a
// validation pass that reports every problem at once with its YAML path and
// line, so a release engineer fixes a config in one round trip.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/payload"
	"github.com/msiforge/msiforge/internal/safefile"
)

// Architectures msiforge knows, in build order.
var Architectures = []string{"x86", "x64", "arm64"}

// Config is the whole of msiforge.yaml.
type Config struct {
	// Version is the config format's version: 1.
	Version int `yaml:"version" jsonschema:"required"`
	// Product describes the product as Windows Installer shows it.
	Product Product `yaml:"product" jsonschema:"required"`
	// Console describes the support console package: its program, its
	// files per architecture, its shortcut and the defaults of its public
	// properties.
	Console Console `yaml:"console"`
	// Architectures are the Windows architectures to build: x86, x64,
	// arm64 (amd64 and x86_64 are read as x64; 386, i386 and i686 as x86;
	// aarch64 as arm64); default [x86, x64]. Each needs a payload.
	Architectures []string `yaml:"architectures"`
	// Output names what build writes: the directory, the file-name stem
	// and the download page's headings.
	Output Output `yaml:"output"`
	// Signing configures Authenticode signing; without it, builds are
	// unsigned. Passwords and PINs never appear here, only where to read
	// them.
	Signing Signing `yaml:"signing"`
	// VSC describes the virtual smart card driver packages; absent:
	// none.
	VSC *VSC `yaml:"vsc"`
	// Lint lists the lint rules a build accepts, each with its reason
	// (msiforge lint --list shows the rules).
	Lint Lint `yaml:"lint"`
	// Artifacts names where payloads come from besides console.payload:
	// a GoReleaser dist directory.
	Artifacts Artifacts `yaml:"artifacts"`

	// Templates replaces embedded templates with the team's own.
	Templates Templates `yaml:"templates"`

	// Dir is the directory of the config file; relative paths in the
	// config are resolved against it. Not part of the YAML.
	Dir string `yaml:"-"`
	// Warnings are findings that do not stop a build ("file:line: path:
	// message"), such as a path that may exceed MAX_PATH; build prints
	// them.
	Warnings []string `yaml:"-"`
	// VersionSource says where Product.Version came from: "config", or
	// the [VersionOverride] source that replaced it ("--version",
	// "MSIFORGE_VERSION", "goreleaser", ...). Not part of the YAML.
	VersionSource string `yaml:"-"`

	// goreleaserFailed: the GoReleaser dist could not give the payload or
	// the version; validate does not repeat that as missing fields.
	goreleaserFailed bool
}

// Templates lets a team use its own WiX and NSIS templates.
type Templates struct {
	// Dir is a directory (relative to the config file) whose files
	// replace the embedded templates of the same name, for example
	// msi/console.wxs.tmpl; 'msiforge templates export DIR' writes the
	// embedded ones as a starting point. The fix-ups, lint, the matrix
	// check, signing and verification still run on what they produce.
	Dir string `yaml:"dir"`
}

// Product describes the product as Windows Installer shows it.
type Product struct {
	Name         string `yaml:"name" jsonschema:"required"`         // ProductName, at most 63 characters; also the folder under the manufacturer's
	Manufacturer string `yaml:"manufacturer" jsonschema:"required"` // Manufacturer; also the vendor folder and registry key
	// ProductVersion, major.minor.build: major and minor at most 255,
	// build at most 65535. Required unless build --version,
	// MSIFORGE_VERSION or artifacts.goreleaser gives it.
	Version     string `yaml:"version"`
	UpgradeCode string `yaml:"upgrade_code" jsonschema:"required"` // a GUID that never changes between releases ('msiforge guid' prints a new one)
	Description string `yaml:"description"`                        // optional summary-info comment
	Icon        string `yaml:"icon"`                               // optional .ico for Add/Remove Programs and the shortcut
	HelpURL     string `yaml:"help_url"`                           // optional ARPHELPLINK
	AboutURL    string `yaml:"about_url"`                          // optional ARPURLINFOABOUT
	// Language is the package's language: a Windows language identifier
	// (LCID) such as 1033 (English, United States), 1036 (French) or 1041
	// (Japanese); default 1033. It sets ProductLanguage, the summary
	// Template's language and the code page every string of the package
	// is stored in (1252 for Western European languages, 932 for
	// Japanese, ...): names and texts must fit that code page.
	Language int `yaml:"language"`
}

// Console describes the support console package.
type Console struct {
	// Executable is the file name of the console program; it must be one
	// of each architecture's payload files.
	Executable string `yaml:"executable"`
	// Payload lists the files installed into INSTALLDIR, per architecture.
	Payload map[string][]string `yaml:"payload"`
	// Files is the payload tree, per architecture: entries {src, dst}
	// whose src is a file, a directory (recursive) or a glob and whose dst
	// is a path under INSTALLDIR (see internal/payload). It adds to
	// Payload; either may be left out.
	Files map[string][]payload.Entry `yaml:"files"`
	// Tree is what validation expanded Payload and Files into, per
	// architecture, sorted by destination. Not part of the YAML.
	Tree map[string][]payload.Item `yaml:"-"`
	// Shortcut is the console's Start-menu shortcut: on by default, named
	// after the product.
	Shortcut Shortcut `yaml:"shortcut"`
	// Defaults are the values the public properties take when msiexec is
	// not given them.
	Defaults Defaults `yaml:"defaults"`
	// EXE also wraps each MSI into a silent-capable EXE (NSIS); default true.
	EXE *bool `yaml:"exe"`
}

// Shortcut configures the Start-menu shortcut to the console.
type Shortcut struct {
	Enabled *bool  `yaml:"enabled"` // whether the install creates the shortcut; default true
	Name    string `yaml:"name"`    // the shortcut's name; default: product.name
}

// Defaults are the defaults of the console MSI's public properties.
type Defaults struct {
	RunAtStartup     *int `yaml:"run_at_startup"`     // RUNATSTARTUP's default, 0 or 1 (default 0): 1 starts the console each time the computer starts
	ShouldAutoUpdate *int `yaml:"should_auto_update"` // SHOULDAUTOUPDATE's default, 0 or 1 (default 0): 1 lets a per-user console update itself when the support site is upgraded
}

// Output names what build writes.
type Output struct {
	Dir  string `yaml:"dir"`  // the directory build writes the release to, relative to the config file; default "dist"
	Name string `yaml:"name"` // the artifacts' file-name stem (NAME-VERSION-ARCH.msi); default: product.name in lower case with dashes
	// Page is the wording of the download page (index.html).
	Page Page `yaml:"page"`
}

// Page sets the headings of the download page, so it reads right for a
// product that is not a support console.
type Page struct {
	// Title heads the page, followed by the version; default: the
	// product name.
	Title string `yaml:"title"`
	// ConsoleTitle heads the section of the console installers; default
	// "Support console".
	ConsoleTitle string `yaml:"console_title"`
	// VSCTitle heads the section of the VSC driver packages, which the
	// page has only when the release has them; default "Virtual smart
	// card (VSC) driver".
	VSCTitle string `yaml:"vsc_title"`
}

// Signing configures Authenticode signing. Empty means unsigned builds.
// Passwords never appear here: only where to read them. The key comes
// from one source: a key file (key with cert, or pkcs12), a PKCS#11 token,
// a relic server or a command; cert may also name the chain of a pkcs11
// key, or the certificate a command signs with.
type Signing struct {
	Cert         string   `yaml:"cert"`          // PEM certificate chain, signing certificate first
	Key          string   `yaml:"key"`           // PEM private key of cert (with cert)
	PKCS12       string   `yaml:"pkcs12"`        // PKCS#12 (.p12/.pfx) file holding the key and its chain, instead of cert and key
	PasswordEnv  string   `yaml:"password_env"`  // environment variable holding the password of pkcs12 or of an encrypted key
	PasswordFile string   `yaml:"password_file"` // file holding the password of pkcs12 or of an encrypted key
	Timestamp    []string `yaml:"timestamp"`     // RFC 3161 timestamp authority URLs, tried in order (not with remote or command)
	PageHashes   bool     `yaml:"page_hashes"`   // add page hashes to PE signatures (not with command)
	SignPayload  *bool    `yaml:"sign_payload"`  // sign the payload's PE files too (default true)

	PKCS11  *PKCS11  `yaml:"pkcs11"`  // a key on a PKCS#11 token (cgo builds), instead of key or pkcs12
	Remote  *Remote  `yaml:"remote"`  // a key on a relic signing server, instead of a key file
	Command []string `yaml:"command"` // an external signer, instead of a key: its argv, with ${artifact} where the file to sign goes
}

// PKCS11 names a private key on a PKCS#11 token. The PIN is read from an
// environment variable or a file, never written here.
type PKCS11 struct {
	Module   string `yaml:"module"`    // the token's PKCS#11 library (a .so file)
	Token    string `yaml:"token"`     // the token's label
	KeyLabel string `yaml:"key_label"` // the private key's CKA_LABEL (or key_id)
	KeyID    string `yaml:"key_id"`    // the private key's CKA_ID, hex (or key_label)
	PinEnv   string `yaml:"pin_env"`   // environment variable holding the user PIN (or pin_file)
	PinFile  string `yaml:"pin_file"`  // file holding the user PIN (or pin_env)
}

// Remote names a key on a stock relic signing server (relic serve). Empty
// fields come from RELIC_URL, RELIC_CACERT, RELIC_CLIENT_CERT and
// RELIC_CLIENT_KEY, as for relic's own client.
type Remote struct {
	URL        string `yaml:"url"`         // the server, https://host:port (default $RELIC_URL)
	CA         string `yaml:"ca"`          // the server's certificate or CA (PEM)
	ClientCert string `yaml:"client_cert"` // client certificate (PEM)
	ClientKey  string `yaml:"client_key"`  // its unencrypted key (PEM file)
	Key        string `yaml:"key"`         // the key's name in the server's config
}

// Load reads, decodes and validates the config file at path.
func Load(path string) (*Config, error) {
	return LoadWith(path, Options{})
}

// Options are what the command line adds to a config file.
type Options struct {
	// GoReleaserDir is build --from-goreleaser DIR: take the payload and
	// the version from this GoReleaser dist directory, as if the config
	// had artifacts.goreleaser.dir set to it (relative to the working
	// directory, not to the config file).
	GoReleaserDir string
	// Archs is build --arch: only these architectures need GoReleaser
	// binaries. Empty: all of architectures.
	Archs []string
	// Version is build --version or MSIFORGE_VERSION, already
	// normalised and checked ([VersionOverride.Apply]): it replaces
	// product.version, which the config may then leave out.
	Version *VersionOverride
}

// LoadWith is Load with command-line additions.
func LoadWith(path string, o Options) (*Config, error) {
	data, err := safefile.ReadFile(path, safefile.ConfigLimit)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return ParseWith(data, path, filepath.Dir(abs), o)
}

// Parse decodes exactly one strict YAML document named name (used in
// messages), applies defaults, resolves relative paths against dir and
// validates the result. Every problem is reported at once: characters a
// config may not hold, duplicate and unknown keys, values of the wrong
// type and the validation rules, each with its line and field.
func Parse(data []byte, name, dir string) (*Config, error) {
	return ParseWith(data, name, dir, Options{})
}

// ParseWith is Parse with command-line additions.
func ParseWith(data []byte, name, dir string, o Options) (*Config, error) {
	if errs := scanRaw(data); len(errs) > 0 {
		return nil, problems(name, errs)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config (start from 'msiforge init')", name)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want one YAML document, found more", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the config must be a mapping of keys (version:, product:, console:, ...)", name, root.Line)
	}
	sh := &shape{paths: map[int]string{}, types: map[int]reflect.Type{}}
	sh.walk(root, reflect.TypeOf(Config{}), "")
	errs := append(sh.errs, normalizeArchs(root)...)

	// The version first: a config from a newer msiforge gets a useful
	// message rather than a list of unknown fields.
	versionLine := lineOf(&doc, "version")
	switch v := child(root, "version"); {
	case v == nil:
		errs = append(errs, problem{line: root.Line, msg: "version: is required: write \"version: 1\" as the first line"})
	case v.Kind != yaml.ScalarNode:
		errs = append(errs, problem{line: versionLine, msg: "version: must be the number 1"})
	case v.Tag == "!!int" && v.Value == "1":
	case v.Tag == "!!int":
		return nil, fmt.Errorf("%s:%d: version: %s is not supported (this msiforge reads version: 1)", name, versionLine, v.Value)
	default:
		errs = append(errs, problem{line: versionLine, msg: fmt.Sprintf("version: %q is %s; it must be the number 1, without quotes", v.Value, tagName(v.Tag))})
	}
	if v := child(root, "version"); v != nil {
		v.Tag, v.Value, v.Kind, v.Content = "!!int", "1", yaml.ScalarNode, nil // reported above; decode the rest
	}

	var c Config
	typeLines := map[int]bool{}
	if err := doc.Decode(&c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, yamlError(name, err)
		}
		for _, e := range te.Errors {
			p := sh.typeProblem(e)
			typeLines[p.line] = true
			errs = append(errs, p)
		}
	}
	c.Dir = dir
	if o.Version != nil {
		// Already normalised and checked (LoadVersion); applied before
		// applyGoReleaser, which leaves a command-line version alone.
		c.Product.Version, c.VersionSource = o.Version.Value, o.Version.Source
	}
	c.applyDefaults()
	warns := []problem(nil)
	gr := c.applyGoReleaser(&doc, o, &warns)
	errs = append(errs, gr...)
	for _, p := range c.validate(&doc, &warns) {
		if !typeLines[p.line] { // that value's type is wrong: said already
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, problems(name, errs)
	}
	sortProblems(warns)
	for _, w := range warns {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s", name, w.line, w.msg))
	}
	return &c, nil
}

// problems is the ValidationError of errs, sorted by line.
func problems(name string, errs []problem) *ValidationError {
	sortProblems(errs)
	msgs := make([]string, len(errs))
	for i, e := range errs {
		if e.line == 0 { // from a flag, not a line of the file
			msgs[i] = fmt.Sprintf("  %s: %s", name, e.msg)
			continue
		}
		msgs[i] = fmt.Sprintf("  %s:%d: %s", name, e.line, e.msg)
	}
	return &ValidationError{File: name, Problems: msgs}
}

// ValidationError lists every problem found in a config.
type ValidationError struct {
	File     string
	Problems []string // "  file:line: path: message"
}

func (e *ValidationError) Error() string {
	n := len(e.Problems)
	s := "s"
	if n == 1 {
		s = ""
	}
	return fmt.Sprintf("%s: %d problem%s:\n%s", e.File, n, s, strings.Join(e.Problems, "\n"))
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns the YAML library's syntax errors into msiforge's
// "file:line: message" form. The library leaves the line out when the
// error's mark is on the first line (its zero-based line 0: parser.fail in
// go.yaml.in/yaml/v3's yaml.go), so no line means line 1.
func yamlError(name string, err error) error {
	msg := strings.TrimSpace(err.Error())
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s:1: %s", name, strings.TrimPrefix(msg, "yaml: "))
}

func (c *Config) applyDefaults() {
	if c.Product.Language == 0 {
		c.Product.Language = DefaultLanguage
	}
	if c.VersionSource == "" {
		c.VersionSource = "config"
	}
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"x86", "x64"}
	}
	if c.Output.Dir == "" {
		c.Output.Dir = "dist"
	}
	if c.Output.Name == "" {
		c.Output.Name = slug(c.Product.Name)
	}
	if c.Console.Shortcut.Enabled == nil {
		t := true
		c.Console.Shortcut.Enabled = &t
	}
	if c.Console.Shortcut.Name == "" {
		c.Console.Shortcut.Name = c.Product.Name
	}
	zero := 0
	if c.Console.Defaults.RunAtStartup == nil {
		c.Console.Defaults.RunAtStartup = &zero
	}
	if c.Console.Defaults.ShouldAutoUpdate == nil {
		z := 0
		c.Console.Defaults.ShouldAutoUpdate = &z
	}
	if c.Console.EXE == nil {
		t := true
		c.Console.EXE = &t
	}
	if c.Signing.SignPayload == nil {
		t := true
		c.Signing.SignPayload = &t
	}
	c.VSC.applyDefaults()
	c.Product.UpgradeCode = strings.ToUpper(strings.Trim(strings.TrimSpace(c.Product.UpgradeCode), "{}"))
}

// Path resolves p against the config file's directory.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// OutputDir is the resolved output directory.
func (c *Config) OutputDir() string { return c.Path(c.Output.Dir) }

// PayloadArchs returns the architectures with a payload (console.payload
// or console.files), sorted in build order.
func (c *Config) PayloadArchs() []string {
	var out []string
	for _, a := range Architectures {
		_, p := c.Console.Payload[a]
		_, f := c.Console.Files[a]
		if p || f {
			out = append(out, a)
		}
	}
	return out
}

// consoleArchs are the keys of console.payload and console.files, sorted.
func (c *Config) consoleArchs() []string {
	seen := map[string]bool{}
	for k := range c.Console.Payload {
		seen[k] = true
	}
	for k := range c.Console.Files {
		seen[k] = true
	}
	return sortedKeys(seen)
}

// slug turns a product name into a file-name stem: lower case, ASCII
// letters and digits, runs of anything else become one dash.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// sortedKeys returns m's keys in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
