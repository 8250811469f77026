// Package cli implements the msiforge command line: one cobra command per
// file, each a thin layer over a plain function in another package.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/execx"
)

// Env is what every command may use to talk to the world.
type Env struct {
	Out    io.Writer    // results
	Err    io.Writer    // progress and errors
	Log    *log.Logger  // "msiforge: " prefixed lines on Err
	Run    execx.Runner // external programs
	Getenv func(string) string
}

// Main runs msiforge with args (without the program name) and returns its
// exit status. It never calls os.Exit and builds a new command tree per call,
// so tests can run it in process many times. When ctx is cancelled with an
// [*Interrupted] cause (main does so on SIGINT and SIGTERM), the command
// stops its tools and removes its temporary files, and Main returns 130 or
// 143 whatever the command's own error was.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &Env{
		Out:    stdout,
		Err:    stderr,
		Log:    log.New(stderr, "msiforge: ", 0),
		Run:    execx.OS{},
		Getenv: getenv,
	}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var in *Interrupted
	if errors.As(context.Cause(ctx), &in) {
		env.Log.Printf("%v: stopped, temporary files removed", in)
		return in.ExitCode()
	}
	if err != nil {
		env.Log.Print(err)
		code := exitCode(err)
		if code == ExitUsage {
			// The failed command's own help, which says what it takes.
			fmt.Fprintf(stderr, "See '%s --help'.\n", cmd.CommandPath())
		}
		return code
	}
	return ExitOK
}

func newRootCmd(env *Env) *cobra.Command {
	var trace bool
	root := &cobra.Command{
		Use:   "msiforge",
		Short: "Build, sign and check the Windows installers of the support console",
		Long: `msiforge builds the Windows installers of the support console from one
declarative configuration (msiforge.yaml): MSI packages per architecture,
rendered from WiX templates and compiled with wixl, with the post-build
fixes wixl needs, checked by reading the tables back.

Exit status: 0 ok, 1 error, 2 usage, 3 checks found problems,
4 a required tool is missing.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			if trace {
				env.Run = execx.Echo{Runner: env.Run, Log: func(s string) { env.Log.Print("+ " + s) }}
			}
		},
	}
	root.PersistentFlags().BoolVarP(&trace, "trace", "x", false, "print external commands before running them")
	// --version prints what `msiforge version` prints. Declared here so
	// cobra does not add its -v shorthand, which build uses for --verbose.
	root.Flags().Bool("version", false, "print msiforge's version (as msiforge version does)")
	root.Version = version()
	root.SetVersionTemplate("msiforge {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	// cobra's completion command: completion bash|zsh|fish|powershell
	// prints the script for that shell (its help says how to load it).
	root.CompletionOptions.HiddenDefaultCmd = false
	for _, c := range []*cobra.Command{
		newInitCmd(env),
		newGUIDCmd(env),
		newTemplatesCmd(env),
		newRenderCmd(env),
		newBuildCmd(env),
		newPlanCmd(env),
		newMergeCmd(env),
		newInspectCmd(env),
		newMatrixCmd(env),
		newDiffCmd(env),
		newInstallCmdCmd(env),
		newSignCmd(env),
		newVerifyCmd(env),
		newLintCmd(env),
		newCatalogCmd(env),
		newVerifyKitCmd(env),
		newDevCertCmd(env),
		newSchemaCmd(env),
		newDoctorCmd(env),
		newVersionCmd(env),
	} {
		root.AddCommand(c)
	}
	return root
}

// exactArgs/rangeArgs wrap cobra's validators so a wrong argument count is a
// usage error (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

func rangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(min, max)(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// writeJSON prints v as indented JSON: the --json output of every command.
func writeJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
