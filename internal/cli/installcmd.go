package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/installcmd"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/simulate"
)

func newInstallCmdCmd(env *Env) *cobra.Command {
	var r installcmd.Request
	var asJSON, noRead bool
	cmd := &cobra.Command{
		Use:   "install-cmd FILE.msi|FILE.exe [--all-users] [--auto-update 0|1] [--run-at-startup 0|1] [--install-dir DIR] [--path WINPATH] [--log FILE] [--as-system] [--change]",
		Short: "Print the command that installs the console with the chosen properties",
		Long: `install-cmd prints the msiexec command line (or, for the EXE, the /S form with
properties passed through) that installs the console as asked, followed on
stderr by the warnings of the update matrix for that choice: an all-users
install ignores auto-update, a per-user install run as Local System lands in
the system profile, and users must log in once before the site is upgraded.
For an MSI, the package's own defaults are read from its tables.

The command names the package by its file name, to be run in the folder
that holds it on the Windows machine: the path given here is a path on this
machine. --path gives its absolute path there instead (C:\Deploy\x.msi,
or a folder ending in \ such as \\server\share\), the place a later
repair reads it from again.

Every choice also warns about the other install context: Windows Installer
never upgrades across contexts, so the package refuses a per-user install
where a per-machine one exists, and a per-machine install where the
installing account has a per-user one; the warning says what to do.

--change prints the command that changes the settings of an installed
console instead: REINSTALL=ALL REINSTALLMODE=omus with the new
--run-at-startup and --auto-update (and --all-users for a per-machine
installation); the folder cannot change that way.

Values are refused (exit 2) when the printed command would not pass them on
as typed: control characters, [NAME] property references, %NAME%, double
quotes; --install-dir must be a folder Windows can create (no CON, NUL,
COM1..., no trailing dot or space, within MAX_PATH).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.File = args[0]
			if err := installcmd.Check(r); err != nil {
				return &usageError{err}
			}
			if strings.HasSuffix(strings.ToLower(r.File), ".msi") && !noRead {
				res, err := msiDefaults(r.File)
				if err != nil {
					return err
				}
				r.DefaultShouldAutoUpdate, r.DefaultRunAtStartup = res.Properties["SHOULDAUTOUPDATE"], res.Properties["RUNATSTARTUP"]
				r.PackageVersion = res.Properties["ProductVersion"]
			}
			c, err := installcmd.Build(r)
			if errors.Is(err, installcmd.ErrOutdated) {
				fmt.Fprintln(env.Out, c.Line)
				return fmt.Errorf("%w (%w)", err, ErrFindings)
			}
			if err != nil {
				return &usageError{err}
			}
			if asJSON {
				return writeJSON(env, c)
			}
			fmt.Fprintln(env.Out, c.Line)
			for _, w := range c.Warnings {
				env.Log.Printf("warning: %s", w)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&r.AllUsers, "all-users", false, "per-machine install for all users (ALLUSERS=1)")
	f.StringVar(&r.ShouldAutoUpdate, "auto-update", "", "SHOULDAUTOUPDATE: 0 or 1 (default: the package's)")
	f.StringVar(&r.RunAtStartup, "run-at-startup", "", "RUNATSTARTUP: 0 or 1 (default: the package's)")
	f.StringVar(&r.InstallDir, "install-dir", "", "INSTALLDIR (default: the package's)")
	f.StringVar(&r.Path, "path", "", `the package's path on the target machine, or its folder ending in \ (default: its file name alone)`)
	f.BoolVar(&r.Quiet, "quiet", true, "no UI: msiexec /qn, or the EXE's /S")
	f.StringVar(&r.Log, "log", "", "write a verbose installer log to this file")
	f.BoolVar(&r.System, "as-system", false, "the command will run as Local System (a deployment tool)")
	f.StringVar(&r.SiteVersion, "site-version", "", "the support site's version: exit 3 when the package is older (error 1.1gws)")
	f.StringVar(&r.PackageVersion, "package-version", "", "the package's ProductVersion, for an EXE or with --no-read")
	f.BoolVar(&noRead, "no-read", false, "do not open the MSI to read its defaults")
	f.BoolVar(&asJSON, "json", false, "print the command, outcome and warnings as JSON")
	f.BoolVar(&r.Change, "change", false, "print the settings-change command of an installed console (REINSTALL=ALL REINSTALLMODE=omus)")
	return cmd
}

// msiDefaults simulates a plain install of the MSI to learn the values its
// properties take when the command line leaves them out.
func msiDefaults(path string) (*simulate.Result, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return simulate.Install(f, nil, simulate.Context{})
}
