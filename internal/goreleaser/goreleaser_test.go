package goreleaser_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/goreleaser"
	"github.com/msiforge/msiforge/internal/testutil"
)

var bin = testutil.GoReleaserBinary

func writeDist(t *testing.T, version string, arts ...map[string]any) string {
	return testutil.WriteGoReleaserDist(t, t.TempDir(), version, arts...)
}

var all3 = []string{"x86", "x64", "arm64"}

func TestSelect(t *testing.T) {
	dist := writeDist(t, "1.2.3",
		bin("hello", "hello.exe", "386", ""),
		bin("hello", "hello.exe", "amd64", "v1"),
		bin("hello", "hello.exe", "amd64", "v3"),
		bin("hello", "hello.exe", "arm64", ""),
		bin("helper", "helper.exe", "amd64", "v1"),
		bin("helper", "helper.exe", "386", ""),
		bin("helper", "helper.exe", "arm64", ""),
	)
	d, err := goreleaser.Read(dist)
	if err != nil {
		t.Fatal(err)
	}
	if d.Metadata.Version != "1.2.3" || d.Metadata.Tag != "v1.2.3" {
		t.Errorf("metadata = %+v", d.Metadata)
	}
	got, err := d.Select(goreleaser.Selection{Builds: []string{"hello", "helper"}, Archs: all3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"x86":   {"dist/hello_windows_386_sse2/hello.exe", "dist/helper_windows_386_sse2/helper.exe"},
		"x64":   {"dist/hello_windows_amd64_v1/hello.exe", "dist/helper_windows_amd64_v1/helper.exe"},
		"arm64": {"dist/hello_windows_arm64_v8.0/hello.exe", "dist/helper_windows_arm64_v8.0/helper.exe"},
	}
	root := filepath.Dir(dist)
	for arch, paths := range want {
		if len(got[arch]) != len(paths) {
			t.Fatalf("%s: got %+v, want %v", arch, got[arch], paths)
		}
		for i, p := range paths {
			if g := got[arch][i]; g.Path != filepath.Join(root, p) || g.Name != filepath.Base(p) {
				t.Errorf("%s[%d] = %+v, want %s", arch, i, g, p)
			}
		}
	}
	v3, err := d.Select(goreleaser.Selection{Builds: []string{"hello"}, Goamd64: "v3", Archs: []string{"x64"}})
	if err != nil || len(v3["x64"]) != 1 || !strings.HasSuffix(v3["x64"][0].Path, "hello_windows_amd64_v3/hello.exe") {
		t.Errorf("GOAMD64 v3: %+v, %v", v3, err)
	}
	// No builds named: every build with Windows binaries, in file order.
	every, err := d.Select(goreleaser.Selection{Archs: []string{"x86"}})
	if err != nil || len(every["x86"]) != 2 || every["x86"][0].Build != "hello" {
		t.Errorf("all builds: %+v, %v", every, err)
	}
}

func TestSelectRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		arts []map[string]any
		sel  goreleaser.Selection
		want []string
	}{
		{"missing arch", []map[string]any{bin("hello", "hello.exe", "386", ""), bin("hello", "hello.exe", "amd64", "v1")},
			goreleaser.Selection{Archs: all3}, []string{`arm64: build "hello" has no windows/arm64 binary`, "add arm64 to the build's goarch", "or remove arm64 from architectures"}},
		{"missing level", []map[string]any{bin("hello", "hello.exe", "amd64", "v2"), bin("hello", "hello.exe", "amd64", "v3")},
			goreleaser.Selection{Archs: []string{"x64"}}, []string{`x64: build "hello" has no windows/amd64 binary for GOAMD64 v1 (it has v2, v3)`}},
		{"two for one slot", []map[string]any{bin("hello", "hello.exe", "386", ""), func() map[string]any {
			b := bin("hello", "hello.exe", "386", "")
			b["go386"], b["path"] = "softfloat", "dist/hello_windows_386_softfloat/hello.exe"
			return b
		}()}, goreleaser.Selection{Archs: []string{"x86"}}, []string{`x86: build "hello" has 2 windows/386 binaries for one slot`, "(go386 softfloat)"}},
		{"same name", []map[string]any{bin("a", "tool.exe", "amd64", "v1"), func() map[string]any {
			b := bin("b", "tool.exe", "amd64", "v1")
			b["path"] = "dist/b_windows_amd64_v1/tool.exe"
			return b
		}()}, goreleaser.Selection{Archs: []string{"x64"}}, []string{`x64: builds "a" and "b" both produce tool.exe`}},
		{"unknown build", []map[string]any{bin("hello", "hello.exe", "amd64", "v1")},
			goreleaser.Selection{Builds: []string{"nosuch"}, Archs: []string{"x64"}}, []string{`build "nosuch" has no Windows binaries`, "(builds with Windows binaries: hello)"}},
		{"no windows", nil, goreleaser.Selection{Archs: []string{"x64"}}, []string{"lists no Windows binaries", "add windows to the goos"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := goreleaser.Read(writeDist(t, "1.2.3", tc.arts...))
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Select(tc.sel)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := goreleaser.Read(dir); err == nil || !strings.Contains(err.Error(), "is "+dir+" a GoReleaser dist directory?") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "artifacts.json"), []byte(`{"not":"a list"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(`{}`), 0o644)
	if _, err := goreleaser.Read(dir); err == nil || !strings.Contains(err.Error(), "artifacts.json: not GoReleaser's format") {
		t.Errorf("bad json: %v", err)
	}
	// A dist directory moved away from the paths artifacts.json records.
	dist := writeDist(t, "1.2.3", bin("hello", "hello.exe", "amd64", "v1"))
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(dist, moved); err != nil {
		t.Fatal(err)
	}
	d, err := goreleaser.Read(moved)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Select(goreleaser.Selection{Archs: []string{"x64"}}); err == nil || !strings.Contains(err.Error(), "does not lead into") {
		t.Errorf("moved dist: %v", err)
	}
}
