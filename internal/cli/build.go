package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/upgradediff"
	"github.com/msiforge/msiforge/packaging"
)

func newBuildCmd(env *Env) *cobra.Command {
	var cfgPath, outDir, previous, shard, fromGoReleaser string
	var archs []string
	var asJSON, verbose, clean, force bool
	var jobs int
	var keys sign.KeySource
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "build [-f msiforge.yaml] [-o DIR] [--arch x86,x64] [--json]",
		Short: "Build the console MSIs into the output directory",
		Long: `build renders the WiX source of every target, compiles it with wixl,
applies the fix-ups wixl needs (HKMU registry root, component conditions
and attributes, the same-version Upgrade row, no-impersonate bits,
SecureCustomProperties, the Arm64 template), reads the tables back to check
each fix-up, lints every MSI (msiforge lint: an error-level finding fails
the build with exit status 3 unless lint.ignore in the config accepts its
rule with a reason, which manifest.json records), checks every console MSI
against the update matrix (a failure is exit status 3 too), wraps it into <name>-<version>-<arch>.exe,
builds the VSC driver packages <name>-vsc-<role>-<version>-<arch>.msi when
the config has a vsc section, and writes them, manifest.json, SHA256SUMS and index.html into the output
directory (output.dir of the config unless -o is given).

Before it writes anything, build resolves the plan and checks that every
tool it needs is installed (wixl and msibuild; makensis only for EXEs; go
only for VSC packages): a missing tool fails with exit status 4, naming
each missing tool and its Debian package, and the output directory is not
touched.

The release is built in a staging directory next to the output directory
and moved in only when every artifact was built and read back, so a failed
build leaves the output directory as it was. Each file is renamed into
place; the previous manifest.json and SHA256SUMS go first and the new
SHA256SUMS and manifest.json come last, so they always describe exactly the
artifacts beside them. A build killed while moving the files in is
finished by the next build.

Files that msiforge did not write (those no msiforge manifest.json in the
output directory lists) are never touched: they stay beside the release,
and a release that would overwrite one is refused (exit 1). Files that an
earlier build wrote and this release does not have (another product name,
version or architecture) are refused too, each named (exit 1): uploaded
with the new release, they would pass as current. --clean removes them
first. The output directory is locked while a build runs: a second build
into it fails at once, naming the first.

A target whose inputs did not change is not rebuilt ("up to date: X"):
each artifact's build key, recorded in manifest.json, covers the rendered
WiX and NSIS sources, the payload files' bytes, SOURCE_DATE_EPOCH,
msiforge's version, the tools' versions and the signing certificate. The
output directory's file of the same key is reused (and published with the
new release) when it is still the file manifest.json lists and its
signature still verifies; otherwise it is rebuilt, and a line says why.
An EXE is rebuilt whenever its MSI is. --force rebuilds everything.

Builds are reproducible: the same config and payload give byte-identical
MSIs. SOURCE_DATE_EPOCH (seconds since 1970) sets the time recorded in
them; unset, it is 2000-01-01T00:00:00Z.

With a signing section in the config, or key flags (--cert/--key,
--pkcs12, --pkcs11-*, --remote-*, --sign-command: see msiforge sign
--help), build signs the payload's PE files before packaging them, then
each MSI, then each EXE, whatever the key source, and verifies every
signature before writing the artifact. A certificate that
breaks the signing rules (see msiforge sign --help) is refused before
anything is built.

--from-goreleaser DIR (or artifacts.goreleaser in the config) reads
GoReleaser's DIR/artifacts.json and DIR/metadata.json: each architecture's
console executable is the Windows binary of the named builds (386 → x86,
amd64 → x64 at GOAMD64 v1 unless artifacts.goreleaser.goamd64 says
otherwise, arm64 → arm64), followed by console.payload's files for that
architecture, and the product version is GoReleaser's (a leading v dropped;
a snapshot or pre-release version is refused). manifest.json records
product.version_source "goreleaser".

--previous DIR compares each MSI with the MSI of the same kind and
architecture in DIR, an earlier release (see msiforge diff), and fails with
exit status 3, publishing nothing, when one cannot upgrade it.

--shard I/N builds only shard I of N (see msiforge plan; a console MSI and
its EXE are one target) into the output directory, with shard.json in
place of manifest.json, SHA256SUMS and index.html; msiforge merge combines
the N shard directories into the release a one-machine build writes.

--version X (or the MSIFORGE_VERSION environment variable; the flag wins)
replaces product.version, so a CI job can build a tag without editing the
config: a leading v is dropped (v2.3.0), a pre-release suffix (2.3.0-rc.1)
is refused because Windows Installer compares only major.minor.build.
manifest.json records where the version came from (product.version_source).

-j N (--jobs) builds up to N targets at once (default: the number of
CPUs). One target's steps (wixl, fix-ups, checks, signing, its EXE) run in
order; different targets run side by side. The artifacts, manifest.json,
the printed list, the progress lines and the exit status are those of
-j 1; the first failure stops the other targets. A PKCS#11 token, a remote
signer or a signing command signs one file at a time.

On a terminal, build shows one live line per running target, with its
step and elapsed time, below the progress lines; when stderr is not a
terminal, with --json, NO_COLOR or TERM=dumb, it prints the plain lines
only.

--templates DIR (or templates.dir in the config) replaces the embedded
templates of the same name (msiforge templates export writes them); the
fix-ups, lint, the matrix check, signing and verification still run on
what they produce.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(env, cfgPath, src, config.Options{GoReleaserDir: fromGoReleaser, Archs: archs})
			if err != nil {
				return err
			}
			var prev *upgradediff.Release
			if previous != "" {
				if prev, err = upgradediff.LoadRelease(previous); err != nil {
					return err
				}
			}
			epoch, err := packaging.ParseEpoch(env.Getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return err
			}
			if jobs < 0 {
				return &usageError{fmt.Errorf("-j %d: the number of targets built at once must be 1 or more (0: one per CPU)", jobs)}
			}
			opts := release.Options{Archs: archs, OutDir: outDir, Progress: env.progress, Epoch: epoch, Verbose: verbose, Clean: clean, Jobs: jobs, Force: force}
			if prev != nil {
				// In the staging directory, before the manifest: a release
				// that breaks an upgrade rule is never published.
				opts.Verify = func(arts []packaging.Artifact) error { return checkPrevious(env, prev, arts) }
			}
			// Key flags replace the config's signing section.
			allowWeak := keys.AllowWeak
			if keys.IsZero() {
				keys = release.KeySource(c)
				keys.AllowWeak = allowWeak
			} else if err := checkKeyFlags(keys); err != nil {
				return err
			} else {
				flagNames(&keys)
			}
			if !keys.IsZero() {
				b, err := openKeys(cmd, env, keys)
				if err != nil {
					return err
				}
				defer b.Close()
				opts.Signer, opts.SignPayload = release.Signer{B: b, Settings: release.SigningSettings(keys)}, *c.Signing.SignPayload
			}
			live := newLiveProgress(env, asJSON)
			if live != nil {
				opts.Track = live
				env.Log.SetOutput(live)
				defer live.stop(env)
			}
			var res *release.Result
			if shard != "" {
				res, err = buildShard(cmd.Context(), env, c, cfgPath, opts, shard)
			} else {
				res, err = release.Release(cmd.Context(), env.Run, c, opts, version())
			}
			if live != nil {
				live.stop(env)
			}
			if err != nil {
				return err
			}
			for _, p := range res.Records {
				env.progress("wrote " + p)
			}
			arts := res.Artifacts
			if asJSON {
				return writeJSON(env, builtJSON(arts))
			}
			for _, a := range arts {
				fmt.Fprintln(env.Out, a.Path)
			}
			return nil
		},
	}
	addConfigFlag(cmd, &cfgPath)
	addSourceFlags(cmd, &src)
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "output directory (default: output.dir of the config)")
	addArchFlag(cmd, &archs)
	cmd.Flags().StringVar(&fromGoReleaser, "from-goreleaser", "", "take the console executables and the version from this GoReleaser dist directory (artifacts.goreleaser in the config)")
	cmd.Flags().StringVar(&previous, "previous", "", "the previous release's output directory: check each MSI upgrades it (msiforge diff); exit 3 if not")
	cmd.Flags().StringVar(&shard, "shard", "", "build only shard I of N (I/N, see msiforge plan) into the output directory, with shard.json for msiforge merge")
	cmd.Flags().BoolVar(&force, "force", false, "rebuild every target, even those the output directory holds up to date")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "build up to N targets at once (default: one per CPU); the output does not depend on N")
	cmd.Flags().BoolVar(&clean, "clean", false, "remove the files an earlier build wrote into the output directory that this release does not have (never files msiforge did not write)")
	addKeyFlags(cmd, &keys)
	addKeySourceFlags(cmd, &keys)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list the rows of each MSI the config did not ask for (a custom template's) and the lint warnings")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was built as JSON (name, path, kind, arch, size, sha256, codes)")
	return cmd
}

// builtArtifact is one entry of build --json: the artifact plus its file
// name, which is what a release upload names it (GoReleaser's
// release.extra_files name_template, gh release upload's asset name).
type builtArtifact struct {
	Name string `json:"name"`
	packaging.Artifact
}

func builtJSON(arts []packaging.Artifact) []builtArtifact {
	out := make([]builtArtifact, len(arts))
	for i, a := range arts {
		out[i] = builtArtifact{Name: filepath.Base(a.Path), Artifact: a}
	}
	return out
}

// checkPrevious runs the upgrade rules of msiforge diff on each built MSI
// against its counterpart in the previous release dir.
func checkPrevious(env *Env, prev *upgradediff.Release, arts []packaging.Artifact) error {
	reps, err := prev.Compare(arts)
	if err != nil {
		return err
	}
	broken := 0
	for _, r := range reps {
		if r.OK {
			env.progress(fmt.Sprintf("%s after %s: %s, ok", filepath.Base(r.New.Path), filepath.Base(r.Old.Path), r.Kind))
			continue
		}
		broken++
		for _, p := range r.Problems {
			env.Log.Printf("%s after %s: problem [%s]: %s", filepath.Base(r.New.Path), filepath.Base(r.Old.Path), p.Rule, p.Message)
		}
	}
	if broken > 0 {
		return fmt.Errorf("%d of %d MSIs cannot upgrade the previous release in %s: %w", broken, len(reps), prev.Dir, ErrFindings)
	}
	return nil
}

// buildShard is build --shard: one share of the release plus shard.json.
func buildShard(ctx context.Context, env *Env, c *config.Config, cfgPath string, opts release.Options, shard string) (*release.Result, error) {
	sh, err := plan.ParseShard(shard)
	if err != nil {
		return nil, &usageError{err}
	}
	// Too many shards for the plan is a command-line mistake too.
	ts, err := plan.Targets(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	if _, err := plan.Select(ts, sh); err != nil {
		return nil, &usageError{err}
	}
	sum, err := release.ConfigSHA256(cfgPath)
	if err != nil {
		return nil, err
	}
	return release.BuildShard(ctx, env.Run, c, opts, sh, sum, version())
}
