package jsonschema_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/packaging"
)

// validate checks v (decoded JSON) against s: types, required properties
// and no unknown properties. Enough of JSON Schema for our own schemas.
func validate(errs *[]string, path string, s *jsonschema.Schema, v any) {
	bad := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("%T, want an object", v)
			return
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				bad("required property %q missing", r)
			}
		}
		for k, x := range m {
			if p, ok := s.Properties[k]; ok {
				validate(errs, path+"."+k, p, x)
			} else if sub, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
				validate(errs, path+"."+k, sub, x)
			} else {
				bad("property %q is not in the schema", k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("%T, want an array", v)
			return
		}
		for _, x := range a {
			validate(errs, path+"[]", s.Items, x)
		}
	case "string":
		if _, ok := v.(string); !ok {
			bad("%T, want a string", v)
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			bad("%T, want a number", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%T, want a boolean", v)
		}
	}
}

func TestManifestMatchesItsSchema(t *testing.T) {
	ts := time.Unix(1700000000, 0).UTC()
	m := manifest.New(manifest.Product{Name: "P", Manufacturer: "M", Version: "1.0.0", UpgradeCode: "{U}"},
		[]packaging.Artifact{
			{Path: "a.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Size: 1, SHA256: "x", ProductCode: "{P}", PackageCode: "{K}",
				Signature: &packaging.Signature{Subject: "CN=S", Timestamp: &ts, TimestampAuthority: "CN=T"}},
			{Path: "a.exe", Kind: packaging.KindConsoleEXE, Arch: "x64", Size: 2, SHA256: "y"},
		}, manifest.Build{Msiforge: "v1", Tools: map[string]string{"wixl": "0.101"}, SourceDateEpoch: 1})
	var v any
	if err := json.Unmarshal(m.JSON(), &v); err != nil {
		t.Fatal(err)
	}
	s := jsonschema.For(manifest.Manifest{}, "id", "title")
	var errs []string
	validate(&errs, "manifest", s, v)
	for _, e := range errs {
		t.Error(e)
	}
	if s.Properties["artifacts"].Items.Properties["timestamp"].Format != "date-time" {
		t.Error("time fields are not date-time strings")
	}
	// And the schema rejects what it should.
	bad := map[string]any{"schema_version": 1.0, "product": map[string]any{}, "artifacts": []any{}, "build": map[string]any{}, "extra": true}
	var badErrs []string
	validate(&badErrs, "bad", s, bad)
	if len(badErrs) < 5 { // extra, and 4 missing product fields at least
		t.Errorf("a manifest with an unknown property and missing fields gave only %v", badErrs)
	}
}
