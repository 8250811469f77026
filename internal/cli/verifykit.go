package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/verifykit"
)

func newVerifyKitCmd(env *Env) *cobra.Command {
	var msis, only []string
	var upgradeFrom, exe, out, defaults string
	cmd := &cobra.Command{
		Use:   "verify-kit --msi FILE.msi [--msi FILE.msi] [--upgrade-from OLD.msi] [--exe SETUP.exe] -o DIR | verify-kit compare DIR/results.txt",
		Short: "Write a kit that plays the lifecycle scenarios on a real Windows machine, or compare its results",
		Long: `verify-kit writes a self-contained folder for a Windows test machine (a CI
runner, x64 or ARM64): the packages, verify.cmd and expected.json. verify.cmd
is plain cmd (it runs under Wine too): it plays each scenario of
'msiforge matrix --scenarios' in order with msiexec (and the setup EXE for
the first installs when --exe is given), records after each step the exit
code, the settings values in HKCU and HKLM, the Run value, whether the files
are there and the registered products (read with reg query, never WMI), and
uninstalls everything between scenarios. It writes results.txt beside itself.
Besides the given MSI, the kit holds the packages the lifecycle derives from
it (the next version, a rebuild, another build of the same version), made with
msibuild. The scenarios run as Local System are listed as skipped.

'verify-kit compare DIR/results.txt' compares the results with expected.json
(which must be beside them) and prints one line per scenario; under Wine the
scenarios where Wine departs from Windows (docs/wine-differences.md) are
compared with Wine's outcome. It exits 3 on any difference.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("verify-kit takes no arguments (did you mean 'verify-kit compare %s'?)", args[0])}
			}
			if len(msis) == 0 {
				return &usageError{fmt.Errorf("verify-kit needs at least one --msi")}
			}
			if out == "" {
				return &usageError{fmt.Errorf("verify-kit needs -o DIR")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := matrix.ParseDefaults(defaults)
			if err != nil {
				return &usageError{err}
			}
			exp, err := verifykit.Write(cmd.Context(), env.Run, verifykit.Options{
				MSIs: msis, UpgradeFrom: upgradeFrom, EXE: exe, Out: out, Defaults: d, Only: only})
			if err != nil {
				return err
			}
			skipped := 0
			for _, sc := range exp.Scenarios {
				if sc.Skip != "" {
					skipped++
				}
			}
			fmt.Fprintf(env.Out, "%s: %d scenarios (%d skipped), run %s\n", out, len(exp.Scenarios), skipped, verifykit.ScriptName)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&msis, "msi", nil, "a console MSI to verify (repeatable)")
	cmd.Flags().StringVar(&upgradeFrom, "upgrade-from", "", "the previous release's MSI, to add the upgrade scenarios")
	cmd.Flags().StringVar(&exe, "exe", "", "the setup EXE carrying the first --msi, run for the first installs")
	cmd.Flags().StringVarP(&out, "out", "o", "", "the kit's folder (replaced)")
	cmd.Flags().StringVar(&defaults, "defaults", "", "the defaults omitted properties take: run_at_startup=0|1,should_auto_update=0|1 (default both 0)")
	cmd.Flags().StringArrayVar(&only, "scenario", nil, "only the scenarios whose ID matches this pattern (s1/per-user/*; repeatable)")
	cmd.AddCommand(newVerifyKitCompareCmd(env))
	return cmd
}

func newVerifyKitCompareCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare DIR/results.txt",
		Short: "Compare a kit's results with its expected results",
		Long: `compare reads results.txt and the expected.json beside it, and prints one
line per scenario with its differences. It uses the Wine expectation of a
scenario when the results were recorded under Wine. Exit 3 on any difference.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := verifykit.CompareFile(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(env, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprint(env.Out, rep.Text())
			}
			if n := rep.Failed(); n > 0 {
				return fmt.Errorf("%d scenarios differ from the expected results: %w", n, ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
