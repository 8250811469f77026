package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/check"
	"github.com/msiforge/msiforge/internal/matrix"
)

func newMatrixCmd(env *Env) *cobra.Command {
	var format, defaults, upgradeFrom string
	var checkMode, scenarios, asJSON bool
	cmd := &cobra.Command{
		Use:   "matrix [--format table|markdown|json] | matrix --scenarios [--json] | matrix --check FILE.msi... [--defaults K=V,...] [--upgrade-from OLD.msi] [--json]",
		Short: "Print the install-scope × auto-update rules and lifecycle scenarios, or check MSIs against them",
		Long: `matrix prints the rules of ALLUSERS × SHOULDAUTOUPDATE: scope, settings hive,
effective auto-update and the warnings an administrator must know.
--scenarios prints the lifecycle scenarios: the msiexec runs after a first
install (re-runs, settings changes, repair, uninstall, both contexts,
upgrades) and what each must end with.

With --check it reads each console MSI's own tables and simulates, the way
Windows Installer documents it, on a simulated machine: a first install for
every combination of ALLUSERS, SHOULDAUTOUPDATE, RUNATSTARTUP, INSTALLDIR
given or not, and install context (interactive user or Local System); the
refused values; each property omitted, which must take the defaults of
--defaults (run_at_startup=0,should_auto_update=0 unless given); and the
lifecycle scenarios. --upgrade-from OLD.msi adds the upgrade scenarios from
that previous release (same context, other context, other architecture).
A package lacking a table or property the checks read fails by name. It
prints one line per check and exits 3 when any differs from the rules.
build runs the same check on every console MSI, with the config's defaults.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if checkMode && len(args) == 0 {
				return &usageError{fmt.Errorf("matrix --check needs at least one MSI")}
			}
			if !checkMode && len(args) > 0 {
				return &usageError{fmt.Errorf("matrix takes no arguments without --check")}
			}
			if checkMode && scenarios {
				return &usageError{fmt.Errorf("--scenarios and --check do not go together")}
			}
			if upgradeFrom != "" && !checkMode {
				return &usageError{fmt.Errorf("--upgrade-from needs --check")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if asJSON {
				format = "json"
			}
			d, err := matrix.ParseDefaults(defaults)
			if err != nil {
				return &usageError{err}
			}
			if scenarios {
				switch format {
				case "table":
					fmt.Fprint(env.Out, matrix.ScenariosText(d))
				case "markdown":
					fmt.Fprint(env.Out, matrix.ScenariosMarkdown(d))
				case "json":
					return writeJSON(env, struct {
						Defaults  matrix.Defaults   `json:"defaults"`
						Scenarios []matrix.Scenario `json:"scenarios"`
					}{d, matrix.Scenarios(d)})
				default:
					return &usageError{fmt.Errorf("--format %q: want table, markdown or json", format)}
				}
				return nil
			}
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
			if format != "table" && format != "json" {
				return &usageError{fmt.Errorf("--format %q: want table or json with --check", format)}
			}
			failed := 0
			reports := map[string]*check.Report{}
			for _, f := range files {
				rep, err := check.File(f, check.Options{Defaults: d, UpgradeFrom: upgradeFrom})
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
				return fmt.Errorf("%d of %d MSIs do not implement the update matrix and lifecycle rules: %w", failed, len(files), ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, markdown or json")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (same as --format json)")
	cmd.Flags().BoolVar(&checkMode, "check", false, "check the given MSIs against the rules")
	cmd.Flags().BoolVar(&scenarios, "scenarios", false, "print the lifecycle scenarios")
	cmd.Flags().StringVar(&defaults, "defaults", "", "the defaults omitted properties take: run_at_startup=0|1,should_auto_update=0|1 (default both 0)")
	cmd.Flags().StringVar(&upgradeFrom, "upgrade-from", "", "with --check: the previous release's MSI, to add the upgrade scenarios")
	return cmd
}
