package config

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/msiforge/msiforge/internal/jsonschema"
)

var update = flag.Bool("update", false, "rewrite schemadoc.go from the Go doc comments")

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
	old, _ := os.ReadFile("schemadoc.go")
	if bytes.Equal(old, src) {
		return
	}
	if !*update {
		t.Fatal("schemadoc.go is out of date with the doc comments of the config's types: run go test ./internal/config -run TestSchemaDocs -update")
	}
	if err := os.WriteFile("schemadoc.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaFile: docs/msiforge.schema.json, which the example configs
// name in their yaml-language-server modeline, is 'msiforge schema
// config' as it is now. -update rewrites it.
func TestSchemaFile(t *testing.T) {
	const file = "../../docs/msiforge.schema.json"
	b, err := jsonschema.Marshal(Schema())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(file)
	if bytes.Equal(old, b) {
		return
	}
	if !*update {
		t.Fatalf("%s is not 'msiforge schema config': run go test ./internal/config -run TestSchemaFile -update", file)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
