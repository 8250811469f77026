package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/config"
)

// sourceFlags are the flags of the commands that render the sources
// (render, build): where the version and the templates come from.
type sourceFlags struct {
	version   string // --version: overrides product.version (and MSIFORGE_VERSION)
	templates string // --templates: overrides templates.dir
}

func addSourceFlags(cmd *cobra.Command, f *sourceFlags) {
	addVersionFlag(cmd, f)
	cmd.Flags().StringVar(&f.templates, "templates", "", "a directory of templates replacing the embedded ones of the same name (overrides templates.dir)")
	_ = cmd.MarkFlagDirname("templates")
}

// addVersionFlag declares --version alone, for commands that name the
// artifacts without rendering them (plan).
func addVersionFlag(cmd *cobra.Command, f *sourceFlags) {
	cmd.Flags().StringVar(&f.version, "version", "", "the product version, overriding product.version and MSIFORGE_VERSION (a leading v is dropped: v2.3.0)")
}

// loadConfig loads the config at path with the version from --version or
// MSIFORGE_VERSION (the flag wins) and the templates from --templates.
// A bad --version is a usage error (exit 2); a bad MSIFORGE_VERSION is
// an error naming it.
// o are the command's other additions (build --from-goreleaser).
func loadConfig(env *Env, path string, f sourceFlags, o config.Options) (*config.Config, error) {
	var c *config.Config
	var err error
	if v, ok := config.ResolveVersion(f.version, env.Getenv("MSIFORGE_VERSION")); ok {
		if _, verr := v.Apply(); verr != nil && v.Source == "--version" {
			return nil, &usageError{verr}
		}
		c, err = config.LoadVersion(path, v, o)
	} else {
		c, err = config.LoadWith(path, o)
	}
	if err != nil {
		return nil, err
	}
	if c.VersionSource != "config" {
		env.progress(fmt.Sprintf("version %s (from %s)", c.Product.Version, c.VersionSource))
	}
	if f.templates != "" {
		abs, err := filepath.Abs(f.templates)
		if err != nil {
			return nil, err
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return nil, &usageError{fmt.Errorf("--templates: %s is not a directory", f.templates)}
		}
		c.Templates.Dir = abs
	}
	for _, w := range c.Warnings {
		env.Log.Print("warning: " + w)
	}
	return c, nil
}
