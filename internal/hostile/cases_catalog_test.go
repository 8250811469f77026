package hostile

import (
	"os"
	"path/filepath"
	"testing"
)

// writeDriver writes d.inf (listing name in [SourceDisksFiles]) and, when
// sys is not nil, d.sys into dir/drv.
func writeDriver(t *testing.T, dir, name string, sys []byte) string {
	t.Helper()
	d := filepath.Join(dir, "drv")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "d.inf"), []byte(fmtINF(name)), 0o644); err != nil {
		t.Fatal(err)
	}
	if sys != nil {
		if err := os.WriteFile(filepath.Join(d, "d.sys"), sys, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(d, "d.inf")
}

func fmtINF(name string) string {
	return "[Version]\nSignature=\"$WINDOWS NT$\"\nCatalogFile=d.cat\n[SourceDisksFiles]\n" + name + " = 1\n"
}

// TestCatalog: hostile catalogs and driver packages (issue 13, problem 6).
func TestCatalog(t *testing.T) {
	Run(t, []Case{
		{
			Name: "verify a placeholder .cat",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"verify", "vsc/driver/vscsample.cat"}
			},
			Code:   3,
			Stdout: []string{"not a catalog: the file does not start with a DER SEQUENCE"},
		},
		{
			Name: "verify a DER SEQUENCE that is not PKCS#7",
			Setup: func(t *testing.T, dir string) []string {
				os.WriteFile(filepath.Join(dir, "x.cat"), []byte{0x30, 0x03, 0x02, 0x01, 0x00}, 0o644)
				return []string{"verify", "x.cat"}
			},
			Code:   3,
			Stdout: []string{"x.cat: FAILED", "not a catalog: not DER PKCS#7"},
		},
		{
			Name: "verify a .cat FIFO",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"verify", fifo(t, dir, "f.cat")}
			},
			Code:    1,
			Stderr:  []string{"f.cat is a FIFO (named pipe), not a regular file"},
			Timeout: ioTimeout,
		},
		{
			Name: "catalog: [SourceDisksFiles] names a path outside the package",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"catalog", writeDriver(t, dir, `..\..\secret.sys`, []byte("x"))}
			},
			Code:   1,
			Stderr: []string{`entry "..\\..\\secret.sys" is not a plain file name`},
		},
		{
			Name: "catalog: a .sys that starts with MZ but is no PE image",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"catalog", writeDriver(t, dir, "d.sys", []byte("MZ not really a PE"))}
			},
			Code:   1,
			Stderr: []string{"d.sys starts with MZ but is not a PE image Authenticode can hash"},
		},
		{
			Name: "catalog: a listed file is missing",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"catalog", writeDriver(t, dir, "d.sys", nil)}
			},
			Code:   1,
			Stderr: []string{"lists d.sys in [SourceDisksFiles]", "give the files with --sys"},
		},
		{
			Name: "catalog: -o is a directory",
			Setup: func(t *testing.T, dir string) []string {
				inf := writeDriver(t, dir, "d.sys", []byte("driver"))
				return []string{"catalog", inf, "-o", filepath.Dir(inf)}
			},
			Code:   2,
			Stderr: []string{"drv is a directory: give the catalog's file name"},
		},
	})
}
