package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	sv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/lint"
)

// TestLintJSONMatchesItsSchema: what lint --json prints validates against
// 'msiforge schema lint', and a finding of an unknown level does not.
func TestLintJSONMatchesItsSchema(t *testing.T) {
	var s *jsonschema.Schema
	for _, x := range schemas {
		if x.name == "lint" {
			s = x.schema()
		}
	}
	if s == nil {
		t.Fatal("no schema named lint")
	}
	b, err := jsonschema.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sv.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := sv.NewCompiler()
	if err := c.AddResource("lint.json", doc); err != nil {
		t.Fatal(err)
	}
	v := c.MustCompile("lint.json")
	check := func(reports []lintReport) error {
		out, err := json.Marshal(reports)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := sv.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		return v.Validate(inst)
	}
	good := []lintReport{{Path: "a.msi", Errors: 1, Findings: []lint.Finding{{Rule: "ICE38", Level: lint.Error, Table: "Component", Key: "C", Message: "m"}}},
		{Path: "b.msi", Findings: []lint.Finding{}}}
	if err := check(good); err != nil {
		t.Error(err)
	}
	good[0].Findings[0].Level = "fatal"
	if err := check(good); err == nil {
		t.Error("the schema accepts the level \"fatal\"")
	}
}
