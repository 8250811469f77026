package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msiforge/msiforge/internal/config"
)

// treeDir is dir with a docs tree and a file outside it that a symlink
// in the tree points to.
func treeDir(t *testing.T) string {
	d := dir(t)
	for _, f := range []string{"docs/licenses/THIRD_PARTY.txt", "docs/guide.md", "secret.txt"} {
		p := filepath.Join(d, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestParseTree(t *testing.T) {
	d := treeDir(t)
	yaml := good + "  files:\n    x64:\n      - {src: docs, dst: docs}\n      - {src: \"docs/*.md\", dst: help}\n    x86:\n      - {src: docs/guide.md, dst: \"Help\\\\Guide.md\"}\n"
	c, err := config.Parse([]byte(yaml), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, arch := range []string{"x64", "x86"} {
		for _, it := range c.Console.Tree[arch] {
			got = append(got, arch+":"+it.Dst+"<-"+strings.TrimPrefix(it.Src, d+"/")+"@"+it.Field)
		}
	}
	want := []string{
		"x64:Console.exe<-bin/Console.exe@console.payload.x64[0]",
		"x64:docs/guide.md<-docs/guide.md@console.files.x64[0]",
		"x64:docs/licenses/THIRD_PARTY.txt<-docs/licenses/THIRD_PARTY.txt@console.files.x64[0]",
		"x64:help/guide.md<-docs/guide.md@console.files.x64[1]",
		"x64:README.txt<-README.txt@console.payload.x64[1]",
		"x86:Console.exe<-bin/Console.exe@console.payload.x86[0]",
		"x86:Help/Guide.md<-docs/guide.md@console.files.x86[0]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestParseTreeErrors: each problem names the field (with its line), the
// value and what is allowed; collisions name both sources.
func TestParseTreeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, files, want string
	}{
		{"collision with the flat payload", "    x64:\n      - {src: docs/guide.md, dst: readme.TXT}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.x64[0]: DIR/docs/guide.md collides with readme.TXT (from console.payload.x64[1], DIR/README.txt); Windows file names are case-insensitive, so each destination must be unique`},
		{"dotdot", "    x64:\n      - {src: docs, dst: ../docs}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.x64[0].dst: "../docs" steps out of its folder with ".."; dst stays under INSTALLDIR (a relative path without ..)`},
		{"absolute", "    x64:\n      - {src: docs, dst: 'C:\\docs'}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.x64[0].dst: "C:\\docs" is an absolute path (a drive); dst is a path relative to INSTALLDIR (like bin/ or docs/licenses/LICENSE.txt)`},
		{"bad name", "    x64:\n      - {src: docs/guide.md, dst: 'doc?/guide.md'}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.x64[0].dst: "doc?/guide.md": "doc?" contains '?', which Windows does not allow in a name (none of \ / : * ? " < > |)`},
		{"symlink escaping", "    x64:\n      - {src: docs, dst: docs}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.x64[0].src: the symlink DIR/docs/leak.txt points to DIR/secret.txt, outside the source tree DIR/docs; symlinks are followed only inside it (copy the file in, or add its own entry)`},
		{"empty list", "    arm64: []\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:13: console.files.arm64: lists no files; list the files arm64 installs, or remove the key (console.payload.arm64 and console.files.arm64 may each be left out, not both)`},
		{"unknown arch", "    ia64:\n      - {src: docs, dst: docs}\n",
			`msiforge.yaml: 1 problem:
  msiforge.yaml:14: console.files.ia64: "ia64" is not one of x86, x64, arm64 (msiforge also reads 386, i386, i686 as x86; amd64, x86_64 as x64; aarch64 as arm64)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := treeDir(t)
			if err := os.Symlink(filepath.Join(d, "secret.txt"), filepath.Join(d, "docs", "leak.txt")); err != nil {
				t.Fatal(err)
			}
			_, err := config.Parse([]byte(good+"  files:\n"+tt.files), "msiforge.yaml", d)
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.ReplaceAll(err.Error(), d, "DIR")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
