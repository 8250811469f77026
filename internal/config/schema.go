package config

import (
	"sort"
	"strings"

	js "github.com/invopop/jsonschema"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/lint"
)

//go:generate go test -run TestSchemaDocs -update

// SchemaID is the $id of the config's JSON Schema. 'msiforge init' writes
// the schema beside the starter as SchemaFile and points the editor at
// it with a yaml-language-server modeline.
const (
	SchemaID   = "https://msiforge.invalid/schema/config-v1.json"
	SchemaFile = "msiforge.schema.json"
)

// Schema returns the JSON Schema (draft 2020-12) of msiforge.yaml:
// reflected from [Config], its descriptions the Go doc comments of its
// fields (schemadoc.go), its enums, patterns, limits and defaults those
// validation uses ([Config.JSONSchemaExtend]). It accepts less than
// msiforge only where a rule needs the file system (payload files exist)
// or compares values across the file in ways JSON Schema cannot say
// (a payload holds console.executable); it never refuses a config
// msiforge accepts.
func Schema() *jsonschema.Schema {
	return jsonschema.For(Config{}, jsonschema.Options{
		ID:               SchemaID,
		Title:            "msiforge.yaml",
		Tag:              "yaml",
		Docs:             schemaDocs,
		RequiredFromTags: true,
	})
}

// Patterns the schema states (ECMA-262 regular expressions). The Go
// validation is stricter where it says more (code pages, reserved names);
// the schema catches what an editor can show while typing.
const (
	// A ProductVersion with its limits: 255.255.65535.
	versionPattern = `^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)$`
	// A GUID; any case, braces allowed (msiforge upper-cases and strips them).
	guidPattern = `^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$`
	// A name used as a Windows folder name and in formatted MSI fields: no
	// control characters nor any of \/:*?"<>|[]{}, not blank, no
	// leading or trailing space, no trailing dot.
	folderNamePattern = `^[^\x00-\x1f\x7f\\/:*?"<>|\[\]{}\s]([^\x00-\x1f\x7f\\/:*?"<>|\[\]{}]*[^\x00-\x1f\x7f\\/:*?"<>|\[\]{}\s.])?$`
	noControlPattern  = `^[^\x00-\x1f\x7f]*$`
	urlPattern        = `^https?://[^/\s]+`
	exePattern        = `^[^\\/]+\.[eE][xX][eE]$`
)

// JSONSchemaExtend adds to the reflected schema what validation checks
// and a schema can say: invopop/jsonschema calls it after reflecting
// [Config].
func (Config) JSONSchemaExtend(s *js.Schema) {
	p := func(path ...string) *js.Schema { return jsonschema.Prop(s, path...) }
	archItems := func(a *js.Schema) {
		a.Items.Enum = anys(ArchNames())
		a.UniqueItems = true
	}
	archKeys := func(m *js.Schema) { m.PropertyNames = &js.Schema{Enum: anys(ArchNames())} }

	p("version").Const = 1

	p("product", "name").Pattern = folderNamePattern
	p("product", "name").MaxLength = ptr(maxProductName)
	p("product", "manufacturer").Pattern = folderNamePattern
	p("product", "manufacturer").MaxLength = ptr(maxName)
	p("product", "version").Pattern = versionPattern
	p("product", "upgrade_code").Pattern = guidPattern
	p("product", "upgrade_code").Not = &js.Schema{Pattern: `^\{?0{8}-0{4}-0{4}-0{4}-0{12}\}?$`} // the nil GUID
	p("product", "description").Pattern = noControlPattern
	p("product", "description").MaxLength = ptr(maxDescription)
	p("product", "icon").Pattern = `\.[iI][cC][oO]$`
	for _, u := range []string{"help_url", "about_url"} {
		p("product", u).Pattern = urlPattern
		p("product", u).MaxLength = ptr(maxURL)
		p("product", u).Format = "uri"
	}
	langs := make([]int, 0, len(Languages))
	for l := range Languages {
		langs = append(langs, l)
	}
	sort.Ints(langs)
	p("product", "language").Enum = anys(langs)
	p("product", "language").Default = DefaultLanguage

	p("console", "executable").Pattern = exePattern
	archKeys(p("console", "payload"))
	p("console", "payload").MinProperties = ptr(1)
	// No MinItems: an architecture's payload list may be empty when its
	// console.files has entries.
	p("console", "payload", "*").MaxItems = ptr(MaxCabinetFiles)
	archKeys(p("console", "files"))
	treeEntry(p("console", "files", "*", "[]"))
	p("console", "shortcut", "enabled").Default = true
	p("console", "shortcut", "name").Pattern = folderNamePattern
	p("console", "shortcut", "name").MaxLength = ptr(maxName)
	for _, d := range []string{"run_at_startup", "should_auto_update"} {
		p("console", "defaults", d).Enum = anys([]int{0, 1})
		p("console", "defaults", d).Default = 0
	}
	p("console", "exe").Default = true

	archItems(p("architectures"))
	p("architectures").Default = []string{"x86", "x64"}

	p("output", "dir").Default = "dist"
	p("output", "name").Pattern = stemRE.String()
	p("output", "name").MaxLength = ptr(maxStem)
	for _, t := range []string{"title", "console_title", "vsc_title"} {
		p("output", "page", t).Pattern = noControlPattern
		p("output", "page", t).MaxLength = ptr(maxName)
	}

	extendSigning(p("signing"))
	extendVSC(p("vsc"), archItems, archKeys)

	rules := []string{}
	for _, r := range lint.Rules() {
		rules = append(rules, r.ID)
	}
	p("lint", "ignore", "[]", "rule").Enum = anys(rules)
	p("lint", "ignore", "[]").Required = []string{"rule", "reason"}
	p("lint", "ignore", "[]", "reason").Pattern = `\S`
	p("lint", "ignore", "[]", "reason").MaxLength = ptr(1000)

	p("artifacts", "goreleaser", "dir").Default = "dist"
	p("artifacts", "goreleaser", "goamd64").Pattern = goamd64RE.String()
	p("artifacts", "goreleaser", "goamd64").Default = "v1"
}

// treeEntry describes a payload tree entry (internal/payload.Entry, whose
// doc comments are in another package than the one schemadoc.go reads).
func treeEntry(e *js.Schema) {
	e.Required = []string{"src"}
	p := func(k string) *js.Schema { return jsonschema.Prop(e, k) }
	p("src").Description = "a file, a directory (installed recursively) or a glob (* ? [...]), relative to the config file"
	p("src").MinLength = ptr(1)
	p("dst").Description = "a relative path under the install folder, / or \\ separated: a file's destination path (a trailing / keeps its name), or the folder that receives a directory's contents or a glob's matches (\"\" or \".\": the install folder itself); no .., no absolute paths"
	p("dst").Not = &js.Schema{Pattern: `(^|[\\/])\.\.([\\/]|$)|^[\\/]|^[A-Za-z]:`}
	p("keep_empty").Description = "also install a directory source's empty folders (left out by default)"
	p("keep_empty").Default = false
}

// extendSigning states the signing rules: one key source, the fields
// each needs, and what goes with what.
func extendSigning(s *js.Schema) {
	p := func(path ...string) *js.Schema { return jsonschema.Prop(s, path...) }
	p("timestamp", "[]").Pattern = urlPattern
	p("sign_payload").Default = true
	p("page_hashes").Default = false
	p("command").MinItems = ptr(1)
	p("command").Contains = &js.Schema{Type: "string", Pattern: `\$\{artifact\}`}
	p("pkcs11").Required = []string{"module", "token"}
	p("pkcs11").OneOf = []*js.Schema{{Required: []string{"key_label"}}, {Required: []string{"key_id"}}}
	p("pkcs11").AllOf = []*js.Schema{{OneOf: []*js.Schema{{Required: []string{"pin_env"}}, {Required: []string{"pin_file"}}}}}
	p("pkcs11", "key_id").Pattern = `^(0x)?([0-9A-Fa-f]{2})*$`
	p("remote").Required = []string{"key"}
	p("remote", "url").Pattern = `^https://[^/\s]+`
	none := func(keys ...string) *js.Schema {
		var any []*js.Schema
		for _, k := range keys {
			any = append(any, &js.Schema{Required: []string{k}})
		}
		return &js.Schema{Not: &js.Schema{AnyOf: any}}
	}
	anyOf := func(keys ...string) *js.Schema {
		var any []*js.Schema
		for _, k := range keys {
			any = append(any, &js.Schema{Required: []string{k}})
		}
		return &js.Schema{AnyOf: any}
	}
	noTimestamps := &js.Schema{Properties: js.NewProperties()}
	noTimestamps.Properties.Set("timestamp", &js.Schema{MaxItems: ptr(0)})
	noPageHashes := &js.Schema{Properties: js.NewProperties()}
	noPageHashes.Properties.Set("page_hashes", &js.Schema{Const: false})
	s.DependentSchemas = map[string]*js.Schema{
		// One key source: a key file, a PKCS#11 token, a relic server or
		// a command.
		"key":     {AllOf: []*js.Schema{none("pkcs12", "pkcs11", "remote", "command"), anyOf("cert")}},
		"pkcs12":  none("key", "cert", "pkcs11", "remote", "command"),
		"pkcs11":  none("remote", "command"),
		"remote":  {AllOf: []*js.Schema{none("command"), noTimestamps}},
		"command": {AllOf: []*js.Schema{noTimestamps, noPageHashes}},
		// signing.cert alone is a chain (pkcs11) or the command's
		// certificate; otherwise it goes with key.
		"cert":          anyOf("key", "pkcs11", "remote", "command"),
		"password_env":  {AllOf: []*js.Schema{anyOf("key", "pkcs12"), none("password_file")}},
		"password_file": anyOf("key", "pkcs12"),
	}
}

func extendVSC(s *js.Schema, archItems, archKeys func(*js.Schema)) {
	p := func(path ...string) *js.Schema { return jsonschema.Prop(s, path...) }
	p("scope").Enum = anys([]string{ScopeMachine})
	p("scope").Default = ScopeMachine
	archItems(p("architectures"))
	s.AnyOf = []*js.Schema{{Required: []string{RoleRepresentative}}, {Required: []string{RoleCustomer}}}
	for _, role := range []string{RoleRepresentative, RoleCustomer} {
		d := vscDefaults[role]
		p(role).Required = []string{"files"}
		archKeys(p(role, "files"))
		p(role, "files").MinProperties = ptr(1)
		p(role, "files", "*").Required = []string{"inf", "sys", "cat", "service"}
		treeEntry(p(role, "files", "*", "extra", "[]"))
		for key, ext := range map[string]string{"inf": "inf", "sys": "sys", "cat": "cat", "service": "exe"} {
			p(role, "files", "*", key).Pattern = `\.` + caseless(ext) + `$`
		}
		p(role, "service_name").Pattern = serviceNameRE.String()
		p(role, "service_name").MaxLength = ptr(maxServiceName)
		p(role, "service_name").Default = d.service
		p(role, "display_name").Pattern = folderNamePattern
		p(role, "display_name").MaxLength = ptr(maxServiceName)
		p(role, "display_name").Default = d.display
		p(role, "description").Pattern = `^[^\x00-\x1f\x7f\[\]{}]*$`
		p(role, "description").MaxLength = ptr(maxDescription)
		p(role, "start").Enum = anys(StartTypes)
		p(role, "start").Default = "auto"
		p(role, "hardware_id").Pattern = hardwareIDRE.String()
	}
}

// caseless spells ext as a pattern of any letter case: "exe" → "[eE][xX][eE]".
func caseless(ext string) string {
	var b strings.Builder
	for _, r := range ext {
		b.WriteString("[" + strings.ToLower(string(r)) + strings.ToUpper(string(r)) + "]")
	}
	return b.String()
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func ptr(n int) *uint64 {
	u := uint64(n)
	return &u
}
