package cli

import (
	"errors"
	"fmt"
	"github.com/msiforge/msiforge/packaging"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
)

func newInitCmd(env *Env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter msiforge.yaml",
		Long: `init writes a commented starter msiforge.yaml for the support console into
DIR (default: the current directory), with a new random UpgradeCode
(product.upgrade_code): keep it for every release of the product, never
change it. It refuses to overwrite an existing file unless --force is
given.`,
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
			env.Log.Printf("wrote %s: set the product and the payload, then run 'msiforge build -f %s'", path, path)
			env.Log.Print("product.upgrade_code is a new random GUID: keep it for every release of this product and never change it")
			fmt.Fprintln(env.Out, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing msiforge.yaml")
	return cmd
}
