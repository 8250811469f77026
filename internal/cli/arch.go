package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
)

// archsValue is --arch: a comma-separated, repeatable list of
// architectures that reads the aliases (amd64, 386, aarch64, ...) as
// x64, x86 and arm64, and refuses an unknown one while the flags are
// parsed, so the mistake is a usage error (exit 2) with a suggestion.
type archsValue struct{ p *[]string }

func (a archsValue) String() string { return strings.Join(*a.p, ",") }
func (a archsValue) Type() string   { return "archs" }

func (a archsValue) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		arch, err := config.NormalizeArch(f)
		if err != nil {
			return err
		}
		*a.p = append(*a.p, arch)
	}
	return nil
}

// addArchFlag declares --arch (build, plan, render).
func addArchFlag(cmd *cobra.Command, archs *[]string) {
	cmd.Flags().Var(archsValue{archs}, "arch", "only these architectures: x86,x64,arm64 (amd64, 386, aarch64 and the like are read as these)")
	_ = cmd.RegisterFlagCompletionFunc("arch", cobra.FixedCompletions(config.Architectures, cobra.ShellCompDirectiveNoFileComp))
}
