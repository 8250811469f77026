package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sv "github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/jsonschema"
)

// noSchema are the cases of parseErrorCases the config's JSON Schema
// cannot refuse, and why; it refuses every other one.
var noSchema = map[string]string{
	"syntax":                 "not YAML: there is no document to validate",
	"two documents":          "a schema validates one document",
	"missing payload file":   "the file system",
	"payload is a directory": "the file system, and a payload's file names against console.executable",
	"arch without payload":   "architectures (or their default) against console.payload's keys",
	"duplicate file names":   "the base names of paths, compared without letter case",
	"vsc product name too long for the package name": "product.name's limit depends on which VSC packages the config has",
}

// compileSchema compiles 'msiforge schema config' with an independent
// validator (santhosh-tekuri/jsonschema, draft 2020-12), as an editor would.
func compileSchema(t *testing.T) *sv.Schema {
	t.Helper()
	b, err := jsonschema.Marshal(config.Schema()) // as 'msiforge schema config' prints it
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := sv.NewCompiler()
	if err := c.AddResource(config.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(config.SchemaID)
	if err != nil {
		t.Fatalf("the config schema does not compile: %v", err)
	}
	return s
}

// yamlValue is a config as a JSON Schema validator sees it: the YAML
// document's value, through JSON (as the YAML language server does).
func yamlValue(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaAcceptsGoodConfigs: the example configs, the starter and the
// tests' good configs are valid against the schema.
func TestSchemaAcceptsGoodConfigs(t *testing.T) {
	s := compileSchema(t)
	configs := map[string]string{
		"starter":  string(config.NewStarter(config.NewUpgradeCode())),
		"good":     good,
		"withVSC":  withVSC,
		"aliases":  strings.Replace(good, "x64: [", "amd64: [", 1) + "architectures: [amd64, i386]\n",
		"signing":  good + "signing:\n  pkcs12: a.p12\n  password_env: PW\n  timestamp: [http://timestamp.example.com]\n",
		"pkcs11":   good + "signing:\n  cert: chain.pem\n  pkcs11: {module: /usr/lib/softhsm/libsofthsm2.so, token: t, key_id: \"0a1b\", pin_env: PIN}\n",
		"command":  good + "signing:\n  command: [signtool, sign, \"${artifact}\"]\n",
		"lint":     good + "lint:\n  ignore:\n    - {rule: ICE38, reason: accepted}\n",
		"language": strings.Replace(good, "console:\n", "  language: 1041\nconsole:\n", 1),
	}
	for _, f := range []string{"../../examples/console/msiforge.yaml", "../../examples/goreleaser/msiforge.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		configs[filepath.ToSlash(f)] = string(b)
	}
	for name, src := range configs {
		if err := s.Validate(yamlValue(t, src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		// And msiforge reads the same ones (bar the files they name).
		if _, err := config.Parse([]byte(src), "msiforge.yaml", t.TempDir()); err != nil {
			var ve *config.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %v", name, err)
				continue
			}
			for _, p := range ve.Problems {
				if !strings.Contains(p, "does not exist") && !strings.Contains(p, "no such file") {
					t.Errorf("%s: msiforge refuses what the schema accepts: %s", name, p)
				}
			}
		}
	}
}

// TestSchemaRefusesBadCases: every bad config of TestParseErrors that a
// schema can express is refused by the schema too; the others (noSchema)
// pass it, which shows where the schema's reach ends.
func TestSchemaRefusesBadCases(t *testing.T) {
	s := compileSchema(t)
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.edit(good)
			why, skip := noSchema[tc.name]
			var v any
			if err := yaml.Unmarshal([]byte(src), &v); err != nil {
				if !skip {
					t.Fatalf("not YAML (%v), but not listed in noSchema", err)
				}
				return
			}
			b, _ := json.Marshal(v)
			inst, err := sv.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(inst)
			switch {
			case skip && err != nil:
				t.Errorf("listed as beyond the schema (%s), but the schema refuses it: %v", why, err)
			case !skip && err == nil:
				t.Errorf("the schema accepts a config msiforge refuses with:\n%s", tc.want)
			}
		})
	}
	for name := range noSchema {
		found := false
		for _, tc := range parseErrorCases {
			found = found || tc.name == name
		}
		if !found {
			t.Errorf("noSchema names %q, which is not a case", name)
		}
	}
}

// TestStarterModeline: the starter's first line points the YAML language
// server at the schema file init writes beside it.
func TestStarterModeline(t *testing.T) {
	first, _, _ := strings.Cut(string(config.NewStarter(config.NewUpgradeCode())), "\n")
	if want := "# yaml-language-server: $schema=" + config.SchemaFile; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
}
