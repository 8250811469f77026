package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/internal/manifest"
)

// schemas are the documented formats, by name, in the order help lists
// them.
var schemas = []struct {
	name   string
	schema func() *jsonschema.Schema
}{
	{"config", config.Schema},
	{"manifest", manifest.Schema},
	{"lint", func() *jsonschema.Schema {
		return jsonschema.For([]lintReport{}, jsonschema.Options{ID: "https://msiforge.invalid/schema/lint-v1.json", Title: "msiforge lint --json"})
	}},
}

func newSchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema config|manifest|lint",
		Short: "Print the JSON Schema of msiforge.yaml or of an output format (manifest, lint)",
		Long: `schema prints a JSON Schema (draft 2020-12), generated from the Go types
that read or write the format:

  config     msiforge.yaml, with each key's description, the allowed values,
             patterns, limits and defaults; for an editor:
               msiforge schema config > msiforge.schema.json
             and the first line of msiforge.yaml (msiforge init writes both):
               # yaml-language-server: $schema=msiforge.schema.json
  manifest   dist/manifest.json
  lint       lint --json

The config schema checks what an editor can while you type; build still
checks more (that files exist, that a payload holds the executable).`,
		Args:      exactArgs(1),
		ValidArgs: []string{"config", "manifest", "lint"},
		RunE: func(_ *cobra.Command, args []string) error {
			for _, s := range schemas {
				if s.name == args[0] {
					return writeSchema(env, s.schema())
				}
			}
			return &usageError{fmt.Errorf("no schema %q (known: config, manifest, lint)", args[0])}
		},
	}
}

// writeSchema prints s as indented JSON.
func writeSchema(env *Env, s *jsonschema.Schema) error {
	b, err := jsonschema.Marshal(s)
	if err != nil {
		return err
	}
	_, err = env.Out.Write(b)
	return err
}
