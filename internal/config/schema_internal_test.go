package config

import (
	"testing"

	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/jsonschema"
)

// TestSchemaDocs: schemadoc.go holds the doc comments of Config's types
// and fields as they are in the source (the descriptions of 'msiforge
// schema config'). -update (go generate, make golden) rewrites it.
func TestSchemaDocs(t *testing.T) {
	docs, err := jsonschema.Docs("github.com/msiforge/msiforge/internal/config", ".", Config{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := jsonschema.GoSource("config", "schemaDocs", "TestSchemaDocs -update", docs)
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertFile(t, "schemadoc.go", src, "run go test ./internal/config -run TestSchemaDocs -update")
}

// TestSchemaFile: docs/msiforge.schema.json, which the example configs
// name in their yaml-language-server modeline, is 'msiforge schema
// config' as it is now. -update rewrites it (run it twice after a doc
// comment changed: the first run regenerates schemadoc.go).
func TestSchemaFile(t *testing.T) {
	b, err := jsonschema.Marshal(Schema())
	if err != nil {
		t.Fatal(err)
	}
	golden.AssertFile(t, "../../docs/msiforge.schema.json", b, "run go test ./internal/config -run TestSchemaFile -update")
}
