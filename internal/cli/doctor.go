package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/doctor"
	"github.com/msiforge/msiforge/internal/execx"
)

func newDoctorCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the external tools msiforge uses",
		Long: `doctor lists each external tool, whether it is installed, its version and
the Debian package that provides it. It exits 4 when a tool that build
needs is missing.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			tools := doctor.Check(cmd.Context(), env.Run)
			if asJSON {
				if err := writeJSON(env, tools); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(env.Out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "TOOL\tSTATUS\tVERSION\tPACKAGE\tUSED FOR")
				for _, t := range tools {
					status := "ok"
					if !t.Found {
						status = "missing"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, status, orDash(t.Version), orDash(t.Package), t.Purpose)
				}
				tw.Flush()
				for _, t := range tools {
					if !t.Found && t.Install != "" {
						fmt.Fprintf(env.Out, "%s: install %s\n", t.Name, t.Install)
					}
				}
			}
			for _, t := range tools {
				if !t.Found && t.Required {
					return &execx.ToolMissingError{Tool: t.Name}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
