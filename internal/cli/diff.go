package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/upgradediff"
)

func newDiffCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff OLD.msi NEW.msi [--json]",
		Short: "Check that NEW.msi can be installed over an installed OLD.msi",
		Long: `diff reads two MSIs and checks the rules Windows Installer applies when NEW
meets an installed OLD: the same UpgradeCode; the version raised within the
first three fields (Windows Installer ignores the fourth); a new ProductCode
exactly when the version changed, and an Upgrade row that removes OLD; no
rebuild of the same version with other content (same ProductCode, another
PackageCode: Windows refuses it over the earlier build with error 1638); and
no component that keeps its GUID while its key path or folder moved.

Exit status 3 when a rule is broken.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := upgradediff.Diff(args[0], args[1])
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(env, r); err != nil {
					return err
				}
			} else {
				fmt.Fprint(env.Out, r.Text())
			}
			if !r.OK {
				return fmt.Errorf("%s cannot follow %s: %d upgrade rule(s) broken: %w", args[1], args[0], len(r.Problems), ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
