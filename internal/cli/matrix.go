package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/matrix"
)

func newMatrixCmd(env *Env) *cobra.Command {
	var format string
	var checkMode bool
	cmd := &cobra.Command{
		Use:   "matrix [--format table|markdown|json] | matrix --check FILE.msi... [--format table|json]",
		Short: "Print the install-scope × auto-update rules, or check MSIs against them",
		Long: `matrix prints the rules of ALLUSERS × SHOULDAUTOUPDATE: scope, settings hive,
effective auto-update and the warnings an administrator must know.

With --check it reads each console MSI's own tables and, for every
combination of ALLUSERS, SHOULDAUTOUPDATE, RUNATSTARTUP, INSTALLDIR given or
not, and install context (interactive user or Local System), simulates a
first install the way Windows Installer would: property defaults, command-
line values, type-51 custom actions in sequence order under their conditions,
launch conditions, component conditions and registry values with HKMU
resolved by ALLUSERS. It prints one line per combination and exits 3 when
any differs from the rules. build runs the same check on every console MSI.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if checkMode && len(args) == 0 {
				return &usageError{fmt.Errorf("matrix --check needs at least one MSI")}
			}
			if !checkMode && len(args) > 0 {
				return &usageError{fmt.Errorf("matrix takes no arguments without --check")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if !checkMode {
				switch format {
				case "table":
					fmt.Fprint(env.Out, matrix.Table())
				case "markdown":
					fmt.Fprint(env.Out, matrix.PropertiesMarkdown()+"\n"+matrix.Markdown())
				case "json":
					return writeJSON(env, struct {
						Properties []matrix.Property `json:"properties"`
						Rows       []matrix.Row      `json:"rows"`
						Notes      []string          `json:"notes"`
					}{matrix.Properties, matrix.Rows, []string{matrix.WarnSystemPerUser, matrix.WarnLoginOnce}})
				default:
					return &usageError{fmt.Errorf("--format %q: want table, markdown or json", format)}
				}
				return nil
			}
			failed := 0
			reports := map[string]*check.Report{}
			for _, f := range files {
				rep, err := check.File(f)
				if err != nil {
					return err
				}
				reports[f] = rep
				if rep.Failed() > 0 {
					failed++
				}
				if format != "json" {
					if len(files) > 1 {
						fmt.Fprintf(env.Out, "%s:\n", f)
					}
					fmt.Fprint(env.Out, rep.Text())
				}
			}
			if format == "json" {
				if err := writeJSON(env, reports); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d MSIs do not implement the update matrix: %w", failed, len(files), ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, markdown or json")
	cmd.Flags().BoolVar(&checkMode, "check", false, "check the given MSIs against the rules")
	return cmd
}
