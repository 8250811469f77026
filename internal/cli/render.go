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
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "render [-f msiforge.yaml] -o DIR [--json]",
		Short: "Write the WiX sources of every target, without compiling them",
		Long: `render writes one .wxs file per target into DIR, exactly as build would
compile them. Payload files are referenced relative to the build directory
(payload/<destination path under INSTALLDIR>), where build stages them.
--version, MSIFORGE_VERSION and --templates work as for build.`,
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
			if asJSON {
				out := make([]pathJSON, len(paths))
				for i, p := range paths {
					out[i].Path = p
				}
				return writeJSON(env, out)
			}
			for _, p := range paths {
				fmt.Fprintln(env.Out, p)
			}
			return nil
		},
	}
	addConfigFlag(cmd, &cfgPath)
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "directory to write the sources to (required)")
	addArchFlag(cmd, &archs)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the written sources as JSON: [{"path": ...}]`)
	addSourceFlags(cmd, &src)
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// pathJSON is one written file in the --json output of render and sign.
type pathJSON struct {
	Path string `json:"path"`
}

// progress prints one progress line on stderr.
func (e *Env) progress(msg string) { e.Log.Print(msg) }
