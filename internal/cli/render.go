package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/release"
)

// addConfigFlag declares -f/--config.
func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "f", "msiforge.yaml", "configuration file")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
}

func newRenderCmd(env *Env) *cobra.Command {
	var cfgPath, outDir string
	var archs []string
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "render [-f msiforge.yaml] -o DIR",
		Short: "Write the WiX sources of every target, without compiling them",
		Long: `render writes one .wxs file per target into DIR, exactly as build would
compile them. Payload files are referenced relative to the build directory
(payload/NAME), where build stages them. --version, MSIFORGE_VERSION and
--templates work as for build.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(env, cfgPath, src, config.Options{})
			if err != nil {
				return err
			}
			paths, err := release.Render(c, outDir, release.Options{Archs: archs, Progress: env.progress})
			if err != nil {
				return err
			}
			for _, p := range paths {
				fmt.Fprintln(env.Out, p)
			}
			return nil
		},
	}
	addConfigFlag(cmd, &cfgPath)
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "directory to write the sources to (required)")
	cmd.Flags().StringSliceVar(&archs, "arch", nil, "only these architectures (x86,x64,arm64)")
	addSourceFlags(cmd, &src)
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// progress prints one progress line on stderr.
func (e *Env) progress(msg string) { e.Log.Print(msg) }
