package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/release"
)

// planJSON is plan --json: what a CI pipeline needs to fan a release out
// over runners (one job per shard) and to name what each job produces.
type planJSON struct {
	Product      string `json:"product"`
	Version      string `json:"version"`
	ConfigSHA256 string `json:"config_sha256"`
	Shards       int    `json:"shards"`
	// Matrix is {"include":[{"shard":"1/2"},…]}: GitHub Actions'
	// strategy.matrix as is (fromJSON), one entry per shard.
	Matrix  planMatrix   `json:"matrix"`
	Targets []planTarget `json:"targets"`
}

type planMatrix struct {
	Include []planShard `json:"include"`
}

type planShard struct {
	Shard   string   `json:"shard"`
	Targets []string `json:"targets"`
}

type planTarget struct {
	Key     string      `json:"key"`
	Kind    string      `json:"kind"`
	Arch    string      `json:"arch"`
	Role    string      `json:"role,omitempty"`
	Shard   string      `json:"shard"`
	Outputs planOutputs `json:"outputs"`
}

type planOutputs struct {
	MSI string `json:"msi"`
	EXE string `json:"exe,omitempty"`
	Wxs string `json:"wxs"`
	Nsi string `json:"nsi,omitempty"`
}

func newPlanCmd(env *Env) *cobra.Command {
	var cfgPath string
	var archs []string
	var shards int
	var asJSON bool
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "plan [-f msiforge.yaml] [--arch x86,x64] [--shards N] [--json]",
		Short: "List the release's targets and how build --shard splits them",
		Long: `plan lists the targets build would build (kind, architecture, VSC role and
the files each writes) with a stable key per target, and the shard each
falls into when the release is split into --shards N parts (default 1).
A console MSI and its EXE are one target: the EXE wraps the signed MSI.

Targets are dealt to shards round-robin in build order, so shards get a
similar mix of console and VSC packages; run "msiforge build --shard I/N"
with the same config and N on each runner, then "msiforge merge OUT DIR..."
on the shards' outputs. --json prints a "matrix" member that a GitHub
Actions job matrix takes as is (fromJSON), one entry per shard.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(env, cfgPath, src, config.Options{}) // the version build --shard will use
			if err != nil {
				return err
			}
			sum, err := release.ConfigSHA256(cfgPath)
			if err != nil {
				return err
			}
			ts, err := plan.Targets(c, archs)
			if err != nil {
				return &usageError{err}
			}
			as, err := plan.Assign(ts, shards)
			if err != nil {
				return &usageError{fmt.Errorf("--shards %d: %w", shards, err)}
			}
			out := planJSON{Product: c.Product.Name, Version: c.Product.Version, ConfigSHA256: sum, Shards: shards}
			for i := 1; i <= shards; i++ {
				out.Matrix.Include = append(out.Matrix.Include, planShard{Shard: plan.Shard{Index: i, Count: shards}.String(), Targets: []string{}})
			}
			for i, t := range ts {
				sh := plan.Shard{Index: as[i], Count: shards}.String()
				out.Targets = append(out.Targets, planTarget{Key: t.Key(), Kind: t.Kind, Arch: t.Arch, Role: t.Role, Shard: sh,
					Outputs: planOutputs{MSI: t.File, EXE: t.EXE, Wxs: t.Wxs, Nsi: t.Nsi}})
				m := &out.Matrix.Include[as[i]-1]
				m.Targets = append(m.Targets, t.Key())
			}
			if asJSON {
				return writeJSON(env, out)
			}
			tw := tabwriter.NewWriter(env.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tSHARD\tKIND\tARCH\tFILES")
			for _, t := range out.Targets {
				files := []string{t.Outputs.MSI}
				if t.Outputs.EXE != "" {
					files = append(files, t.Outputs.EXE)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Key, t.Shard, t.Kind, t.Arch, strings.Join(files, " "))
			}
			return tw.Flush()
		},
	}
	addConfigFlag(cmd, &cfgPath)
	addVersionFlag(cmd, &src)
	addArchFlag(cmd, &archs)
	cmd.Flags().IntVar(&shards, "shards", 1, "split the targets into N shards (build --shard I/N)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON (with a GitHub Actions job matrix)")
	return cmd
}
