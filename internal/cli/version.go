package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at link time (-ldflags "-X ...cli.Version=v1.2.3", as
// make build does from git describe); when it is empty the Go build info
// gives the version.
var Version = ""

// buildInfo is what `msiforge version --json` prints: the Go build info
// of this binary, so a bug report says exactly what was built.
type buildInfo struct {
	// Version is what `msiforge version` and `msiforge --version` print
	// after "msiforge ".
	Version string `json:"version"`
	// Module is the main module's path; ModuleVersion its version as the
	// go command recorded it: the tag for `go install …@v1.2.3`, a
	// pseudo-version or "(devel)" for a build from a checkout.
	Module        string `json:"module,omitempty"`
	ModuleVersion string `json:"module_version,omitempty"`
	// VCSRevision, VCSTime and VCSModified come from the checkout a binary
	// was built in (go build's -buildvcs, on by default in a git work
	// tree); empty for `go install …@version` builds.
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
	GoVersion   string `json:"go_version,omitempty"`
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// versionInfo assembles the version from the link-time Version and the
// build info.
func versionInfo() buildInfo {
	var v buildInfo
	if bi, ok := readBuildInfo(); ok {
		v.Module, v.ModuleVersion, v.GoVersion = bi.Main.Path, bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.VCSRevision = s.Value
			case "vcs.time":
				v.VCSTime = s.Value
			case "vcs.modified":
				v.VCSModified = s.Value == "true"
			}
		}
	}
	switch {
	case Version != "":
		v.Version = Version
	case v.ModuleVersion != "" && v.ModuleVersion != "(devel)":
		// go install …@v1.2.3, or since Go 1.24 a checkout build's
		// pseudo-version (with +dirty when modified).
		v.Version = v.ModuleVersion
	case v.VCSRevision != "":
		rev := v.VCSRevision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v.Version = "devel (revision " + rev
		if v.VCSModified {
			v.Version += ", modified"
		}
		v.Version += ")"
	default:
		v.Version = "devel"
	}
	return v
}

// version returns msiforge's version string.
func version() string { return versionInfo().Version }

func newVersionCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print msiforge's version",
		Long: `version prints msiforge's version, as msiforge --version does: the
release tag for a binary built with make build or go install …@VERSION,
otherwise the revision of the checkout it was built from.

--json prints what the Go build info holds: the module version, the VCS
revision, its time and whether the checkout was modified, and the Go
version.`,
		Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			if asJSON {
				return writeJSON(env, versionInfo())
			}
			fmt.Fprintln(env.Out, "msiforge", version())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build info as JSON")
	return cmd
}
