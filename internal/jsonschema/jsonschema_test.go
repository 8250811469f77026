package jsonschema_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	sv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/packaging"
)

// compile compiles s with an independent validator.
func compile(t *testing.T, s *jsonschema.Schema) *sv.Schema {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := sv.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	return c.MustCompile("schema.json")
}

func value(t *testing.T, b []byte) any {
	t.Helper()
	v, err := sv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestManifestMatchesItsSchema(t *testing.T) {
	ts := time.Unix(1700000000, 0).UTC()
	m := manifest.New(manifest.Product{Name: "P", Manufacturer: "M", Version: "1.0.0", UpgradeCode: "{U}"},
		[]packaging.Artifact{
			{Path: "a.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Size: 1, SHA256: "x", ProductCode: "{P}", PackageCode: "{K}",
				Signature: &packaging.Signature{Subject: "CN=S", Timestamp: &ts, TimestampAuthority: "CN=T"}},
			{Path: "a.exe", Kind: packaging.KindConsoleEXE, Arch: "x64", Size: 2, SHA256: "y"},
		}, manifest.Build{Msiforge: "v1", Tools: map[string]string{"wixl": "0.101"}, SourceDateEpoch: 1})
	s := manifest.Schema()
	v := compile(t, s)
	if err := v.Validate(value(t, m.JSON())); err != nil {
		t.Error(err)
	}
	if f := jsonschema.Prop(s, "artifacts", "[]", "timestamp").Format; f != "date-time" {
		t.Errorf("time fields: format %q, want date-time", f)
	}
	if d := jsonschema.Prop(s, "artifacts", "[]", "signer_untrusted").Description; !strings.Contains(d, "Windows will not trust") {
		t.Errorf("descriptions are not the doc comments: %q", d)
	}
	// And the schema rejects what it should: an unknown property, missing
	// fields, a wrong type.
	for _, bad := range []string{
		`{"schema_version": 1, "product": {}, "artifacts": [], "build": {"msiforge": "v", "tools": {}, "source_date_epoch": 1}}`,
		`{"schema_version": 1, "product": {"name": "P", "manufacturer": "M", "version": "1", "version_source": "config", "upgrade_code": "U"}, "artifacts": [], "build": {"msiforge": "v", "tools": {}, "source_date_epoch": 1}, "extra": true}`,
		`{"schema_version": "1", "product": {"name": "P", "manufacturer": "M", "version": "1", "version_source": "config", "upgrade_code": "U"}, "artifacts": [], "build": {"msiforge": "v", "tools": {}, "source_date_epoch": 1}}`,
	} {
		if err := v.Validate(value(t, []byte(bad))); err == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
}

func TestDocsOneLinePerParagraph(t *testing.T) {
	docs, err := jsonschema.Docs("github.com/msiforge/msiforge/internal/manifest", "../manifest", manifest.Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs["github.com/msiforge/msiforge/internal/manifest.Manifest.WeakSigning"]
	if want := "WeakSigning: at least one artifact was signed with --allow-weak by a certificate that breaks the signing identity rules. Such a release is for tests only."; d != want {
		t.Errorf("doc = %q, want %q", d, want)
	}
	if _, ok := docs["github.com/msiforge/msiforge/internal/manifest.Manifest"]; !ok {
		t.Error("no type doc")
	}
}
