package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/jsonschema"
	"github.com/msiforge/msiforge/packaging"
)

func newInitCmd(env *Env) *cobra.Command {
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "init [DIR] [--force] [--json]",
		Short: "Write a commented starter msiforge.yaml",
		Long: `init writes a commented starter msiforge.yaml for the support console into
DIR (default: the current directory), with a new random UpgradeCode
(product.upgrade_code): keep it for every release of the product, never
change it. It refuses to overwrite an existing file unless --force is
given.

Beside it, init writes msiforge.schema.json ('msiforge schema config'),
which the starter's first line names for editors with the YAML language
server (VS Code's YAML extension and others): they complete the keys,
show what each means and mark mistakes while you type. An existing
msiforge.schema.json is kept unless --force is given.`,
		Args: rangeArgs(0, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			path := filepath.Join(dir, "msiforge.yaml")
			if _, err := os.Stat(path); err == nil && !force {
				return fmt.Errorf("%s already exists (use --force to overwrite it)", path)
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			code := config.NewUpgradeCode()
			if err := packaging.WriteFile(path, config.NewStarter(code)); err != nil {
				return err
			}
			schemaPath := filepath.Join(dir, config.SchemaFile)
			wroteSchema := false
			if _, err := os.Stat(schemaPath); errors.Is(err, os.ErrNotExist) || force {
				b, err := jsonschema.Marshal(config.Schema())
				if err != nil {
					return err
				}
				if err := packaging.WriteFile(schemaPath, b); err != nil {
					return err
				}
				wroteSchema = true
			}
			env.Log.Printf("wrote %s: set the product and the payload, then run 'msiforge build -f %s'", path, path)
			env.Log.Print("product.upgrade_code is a new random GUID: keep it for every release of this product and never change it")
			written := []string{path}
			if wroteSchema {
				written = append(written, schemaPath)
			}
			if asJSON {
				return writeJSON(env, struct {
					Config      string   `json:"config"`
					UpgradeCode string   `json:"upgrade_code"`
					Written     []string `json:"written"`
				}{path, code, written})
			}
			for _, p := range written {
				fmt.Fprintln(env.Out, p)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing msiforge.yaml and msiforge.schema.json")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what init wrote as JSON: {"config", "upgrade_code", "written"}`)
	return cmd
}
