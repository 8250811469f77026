package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at link time (-ldflags "-X ...cli.Version=v1.2.3"); when it
// is empty the module version from the build info is used.
var Version = ""

// version returns msiforge's version string.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func newVersionCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print msiforge's version",
		Args:  exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			if asJSON {
				b, _ := json.Marshal(struct {
					Version string `json:"version"`
				}{version()})
				fmt.Fprintln(env.Out, string(b))
				return nil
			}
			fmt.Fprintln(env.Out, "msiforge", version())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
