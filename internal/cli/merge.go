package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/release"
)

func newMergeCmd(env *Env) *cobra.Command {
	var asJSON, clean bool
	cmd := &cobra.Command{
		Use:   "merge OUT SHARD_DIR... [--json]",
		Short: "Combine the outputs of build --shard into one release",
		Long: `merge combines the output directories of "msiforge build --shard I/N" (one
per shard, in any order) into one release in OUT: the artifacts, and
manifest.json, SHA256SUMS and index.html byte for byte as a one-machine
build of the same config writes them with the same SOURCE_DATE_EPOCH,
tools and (deterministic) signatures.

It refuses, naming the directories: shards built from different config
files, product versions, msiforge versions or SOURCE_DATE_EPOCHs, with
different --arch or shard counts, or different versions of a tool; a shard
given twice or missing; and an artifact whose size or SHA-256 is not what
its shard's shard.json recorded. OUT is published like build's output
directory (see msiforge build --help): files msiforge did not write stay
untouched, files of an earlier build that this release does not have are
refused unless --clean removes them.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return &usageError{fmt.Errorf("merge needs the output directory and at least one shard directory, got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := release.Merge(cmd.Context(), args[0], args[1:], release.Options{Progress: env.progress, Clean: clean})
			if err != nil {
				return err
			}
			for _, p := range res.Records {
				env.progress("wrote " + p)
			}
			if asJSON {
				return writeJSON(env, res.Artifacts)
			}
			for _, a := range res.Artifacts {
				fmt.Fprintln(env.Out, a.Path)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&clean, "clean", false, "remove the files an earlier build wrote into OUT that this release does not have (never files msiforge did not write)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the merged artifacts as JSON (path, kind, arch, size, sha256, codes)")
	return cmd
}
