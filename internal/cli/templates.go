package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/templates"
)

func newTemplatesCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Work with the WiX and NSIS templates msiforge renders",
		Long: `The embedded templates can be replaced one by one: a file in templates.dir
(in the config) or --templates DIR (render, build) replaces the embedded
template of the same path, such as msi/console.wxs.tmpl. Templates get
typed data and the xml, nsis and nsisconst escaping functions; see the
embedded ones. Whatever the templates produce goes through the same
fix-ups, lint, matrix check, signing and verification.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{errors.New("templates needs a subcommand: export")}
		},
	}
	cmd.AddCommand(newTemplatesExportCmd(env))
	return cmd
}

func newTemplatesExportCmd(env *Env) *cobra.Command {
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "export DIR [--force] [--json]",
		Short: "Write the embedded templates into DIR as a starting point",
		Long: `export writes every embedded template into DIR under its own path
(DIR/msi/console.wxs.tmpl, ...), ready for templates.dir or --templates.
Keep only the files you change: the others follow msiforge's updates.
It refuses to overwrite an existing file unless --force is given, and then
writes nothing.`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			paths, err := exportTemplates(args[0], force)
			if asJSON && err == nil {
				out := make([]pathJSON, len(paths))
				for i, p := range paths {
					out[i].Path = p
				}
				return writeJSON(env, out)
			}
			for _, p := range paths {
				fmt.Fprintln(env.Out, p)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the files written as JSON: [{"path": ...}]`)
	return cmd
}

// exportTemplates writes templates.FS into dir; without force, an existing
// file stops it before anything is written.
func exportTemplates(dir string, force bool) ([]string, error) {
	var names []string
	if err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if !force {
		for _, n := range names {
			p := filepath.Join(dir, filepath.FromSlash(n))
			if _, err := os.Lstat(p); err == nil {
				return nil, fmt.Errorf("%s already exists (use --force to overwrite it); nothing written", p)
			}
		}
	}
	var written []string
	for _, n := range names {
		b, err := fs.ReadFile(templates.FS, n)
		if err != nil {
			return written, err
		}
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, err
		}
		if err := packaging.WriteFile(p, b); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}
