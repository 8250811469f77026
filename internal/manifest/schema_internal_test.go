package manifest

import (
	"testing"

	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/jsonschema"
)

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
	golden.AssertFile(t, "schemadoc.go", src, "run go test ./internal/manifest -run TestSchemaDocs -update")
}
