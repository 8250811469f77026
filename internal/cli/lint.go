package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/lint"
)

// lintReport is one file's entry in `lint --json` (see `msiforge schema lint`).
type lintReport struct {
	Path     string         `json:"path"`
	Errors   int            `json:"errors"`
	Warnings int            `json:"warnings"`
	Findings []lint.Finding `json:"findings"`
}

// lintRuleJSON is one rule in `lint --list --json`.
type lintRuleJSON struct {
	ID      string     `json:"id"`
	Level   lint.Level `json:"level"`
	Summary string     `json:"summary"`
	URL     string     `json:"url"`
}

func splitRules(v []string) []string {
	var out []string
	for _, s := range v {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, strings.ToUpper(p))
			}
		}
	}
	return out
}

func newLintCmd(env *Env) *cobra.Command {
	var asJSON, strict, list bool
	var only, ignore []string
	cmd := &cobra.Command{
		Use:   "lint FILE.msi... [--json] [--rules ICE38,ICE64] [--ignore ICE..] [--strict] [--list]",
		Short: "Run Windows Installer's consistency checks (ICEs) on MSIs, off Windows",
		Long: `lint reads each MSI and runs the internal consistency evaluators (ICEs)
of the Windows SDK that matter for per-user, per-machine, service and
upgrade packages, reimplemented from Microsoft's ICE reference pages, plus
msiforge's own rules where the ICEs are blind (MSF*: folders a custom action
redirects into the user profile at run time, the ServiceInstall columns).

Each finding names the rule, its level, the table and row key, and
Microsoft's message where the reference page gives one. Exit status 3 when
a finding is an error; warnings are printed but fail only with --strict.
--list prints every rule with its level and summary.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !list {
				return &usageError{fmt.Errorf("lint needs at least one FILE.msi (or --list)")}
			}
			if len(args) > 0 && list {
				return &usageError{fmt.Errorf("lint --list takes no FILE")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			opts := lint.Options{Rules: splitRules(only), Ignore: splitRules(ignore)}
			if err := opts.Validate(); err != nil {
				return &usageError{err}
			}
			if list {
				return printLintRules(env, asJSON)
			}
			var reports []lintReport
			failed := 0
			for _, f := range files {
				fs, err := lint.CheckFile(f, opts)
				if err != nil {
					return err
				}
				rep := lintReport{Path: f, Findings: fs, Errors: lint.Errors(fs)}
				rep.Warnings = len(fs) - rep.Errors
				if rep.Findings == nil {
					rep.Findings = []lint.Finding{}
				}
				if rep.Errors > 0 || (strict && rep.Warnings > 0) {
					failed++
				}
				reports = append(reports, rep)
			}
			if asJSON {
				if err := writeJSON(env, reports); err != nil {
					return err
				}
			} else {
				for _, r := range reports {
					for _, f := range r.Findings {
						fmt.Fprintf(env.Out, "%s: %s\n", r.Path, f)
					}
					fmt.Fprintf(env.Out, "%s: %d errors, %d warnings\n", r.Path, r.Errors, r.Warnings)
				}
			}
			if failed > 0 {
				what := "errors"
				if strict {
					what = "errors or warnings (--strict)"
				}
				return fmt.Errorf("%d of %d files have lint %s: %w", failed, len(files), what, ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	cmd.Flags().BoolVar(&list, "list", false, "print every rule with its level and summary")
	cmd.Flags().StringSliceVar(&only, "rules", nil, "run only these rules (comma-separated)")
	cmd.Flags().StringSliceVar(&ignore, "ignore", nil, "skip these rules (comma-separated)")
	return cmd
}

func printLintRules(env *Env, asJSON bool) error {
	var rs []lintRuleJSON
	for _, r := range lint.Rules() {
		rs = append(rs, lintRuleJSON{r.ID, r.Level, r.Summary, r.URL})
	}
	if asJSON {
		return writeJSON(env, rs)
	}
	for _, r := range rs {
		fmt.Fprintf(env.Out, "%-7s %-8s %s\n", r.ID, r.Level, r.Summary)
	}
	return nil
}
