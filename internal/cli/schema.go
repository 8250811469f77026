package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/manifest"
)

// schemas are the documented formats, by name.
var schemas = map[string]func() *jsonschema.Schema{
	"manifest": func() *jsonschema.Schema {
		return jsonschema.For(manifest.Manifest{}, "https://msiforge.invalid/schema/manifest-v1.json", "msiforge dist/manifest.json")
	},
	"lint": func() *jsonschema.Schema {
		return jsonschema.For([]lintReport{}, "https://msiforge.invalid/schema/lint-v1.json", "msiforge lint --json")
	},
}

func newSchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema manifest|lint",
		Short: "Print the JSON Schema of an output format (manifest, lint)",
		Long: `schema prints the JSON Schema (draft 2020-12) of dist/manifest.json or of
lint --json, generated from the Go types that write it.`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, ok := schemas[args[0]]
			if !ok {
				return &usageError{fmt.Errorf("no schema %q (known: manifest, lint)", args[0])}
			}
			return writeJSON(env, f())
		},
	}
}
