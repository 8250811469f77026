package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
)

// guidNote is what guid and init say about a new UpgradeCode.
const guidNote = "this is a new UpgradeCode: write it into product.upgrade_code once and never change it between releases (Windows Installer ties a product's releases together by it, and no other product may use it)"

func newGUIDCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "guid [--json]",
		Short: "Print a new random UpgradeCode for product.upgrade_code",
		Long: `guid prints a new random GUID in the form product.upgrade_code takes
(upper-case, without braces). Generate it once per product: the
UpgradeCode must never change between releases, since Windows Installer
finds the release to upgrade by it, and no two products may share one
(https://learn.microsoft.com/en-us/windows/win32/msi/upgradecode).
msiforge init writes one into the starter config already.

--json prints {"upgrade_code": "...", "braced": "{...}"}.`,
		Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			g := config.NewUpgradeCode()
			if asJSON {
				return writeJSON(env, struct {
					UpgradeCode string `json:"upgrade_code"`
					Braced      string `json:"braced"`
				}{g, "{" + g + "}"})
			}
			fmt.Fprintln(env.Out, g)
			env.Log.Print(guidNote)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the GUID as JSON")
	return cmd
}
