package manifest

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/msiforge/msiforge/internal/jsonschema"
)

var update = flag.Bool("update", false, "rewrite schemadoc.go from the Go doc comments")

// TestSchemaDocs: schemadoc.go holds the doc comments of Manifest's
// types and fields as they are in the source (the descriptions of
// 'msiforge schema manifest'). -update (go generate, make golden) rewrites it.
func TestSchemaDocs(t *testing.T) {
	docs, err := jsonschema.Docs("github.com/msiforge/msiforge/internal/manifest", ".", Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := jsonschema.GoSource("manifest", "schemaDocs", "TestSchemaDocs -update", docs)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile("schemadoc.go")
	if bytes.Equal(old, src) {
		return
	}
	if !*update {
		t.Fatal("schemadoc.go is out of date with the doc comments of the manifest's types: run go test ./internal/manifest -run TestSchemaDocs -update")
	}
	if err := os.WriteFile("schemadoc.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
}
