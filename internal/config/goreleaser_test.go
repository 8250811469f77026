package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/testutil"
)

// grConfig is a config whose payload and version come from GoReleaser.
const grConfig = `version: 1
product:
  name: Hello
  manufacturer: Example Corp
  upgrade_code: 3f6c1b0e-8e4a-4c53-9d0b-6a1e2f3c4d5e
console:
  payload:
    x64: [README.txt]
architectures: [x86, x64, arm64]
artifacts:
  goreleaser:
    dir: dist
    builds: [hello]
`

func grDir(t *testing.T, version string, arts ...map[string]any) string {
	t.Helper()
	d := t.TempDir()
	if len(arts) == 0 {
		arts = []map[string]any{
			testutil.GoReleaserBinary("hello", "hello.exe", "386", ""),
			testutil.GoReleaserBinary("hello", "hello.exe", "amd64", "v1"),
			testutil.GoReleaserBinary("hello", "hello.exe", "amd64", "v2"),
			testutil.GoReleaserBinary("hello", "hello.exe", "arm64", ""),
		}
	}
	testutil.WriteGoReleaserDist(t, d, version, arts...)
	if err := os.WriteFile(filepath.Join(d, "README.txt"), []byte("read me"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGoReleaserPayloadAndVersion(t *testing.T) {
	d := grDir(t, "1.2.3")
	c, err := config.Parse([]byte(grConfig), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	if c.Product.Version != "1.2.3" || c.VersionSource != "goreleaser" {
		t.Errorf("version %q from %q; want 1.2.3 from goreleaser", c.Product.Version, c.VersionSource)
	}
	if c.Console.Executable != "hello.exe" {
		t.Errorf("executable %q, want hello.exe (the first build's binary)", c.Console.Executable)
	}
	want := map[string][]string{
		"x86":   {filepath.Join(d, "dist/hello_windows_386_sse2/hello.exe")},
		"x64":   {filepath.Join(d, "dist/hello_windows_amd64_v1/hello.exe"), "README.txt"},
		"arm64": {filepath.Join(d, "dist/hello_windows_arm64_v8.0/hello.exe")},
	}
	for arch, files := range want {
		if got := strings.Join(c.Console.Payload[arch], " "); got != strings.Join(files, " ") {
			t.Errorf("payload %s = %s, want %s", arch, got, strings.Join(files, " "))
		}
	}

	// --from-goreleaser on a config without artifacts.goreleaser, which
	// then needs neither payload nor version nor executable; the config's
	// own version gives way with a warning.
	plain := strings.Replace(grConfig[:strings.Index(grConfig, "artifacts:")], "  payload:\n    x64: [README.txt]\n", "", 1)
	plain = strings.Replace(plain, "  manufacturer:", "  version: 1.0.0\n  manufacturer:", 1)
	c, err = config.ParseWith([]byte(plain), "msiforge.yaml", t.TempDir(), config.Options{GoReleaserDir: filepath.Join(d, "dist")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Product.Version != "1.2.3" || len(c.Console.Payload["arm64"]) != 1 {
		t.Errorf("--from-goreleaser: version %q payload %v", c.Product.Version, c.Console.Payload)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "product.version: 1.0.0 is replaced by GoReleaser's version 1.2.3") {
		t.Errorf("warnings %q", c.Warnings)
	}

	// goamd64 picks the other x64 binary.
	c, err = config.Parse([]byte(grConfig+"    goamd64: v2\n"), "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Console.Payload["x64"][0]; !strings.HasSuffix(got, "hello_windows_amd64_v2/hello.exe") {
		t.Errorf("goamd64 v2: %s", got)
	}
}

func TestGoReleaserRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, version, config string
		arts                  []map[string]any
		want                  []string
	}{
		{"snapshot", "1.2.4-SNAPSHOT-0123abc", grConfig, nil, []string{
			`msiforge.yaml:12: artifacts.goreleaser: GoReleaser's metadata.json version: "1.2.4-SNAPSHOT-0123abc" has a pre-release or build suffix`,
			"goreleaser --snapshot build: set snapshot.version_template"}},
		{"pre-release", "v2.0.0-rc.1", grConfig, nil, []string{`has a pre-release or build suffix "-rc.1"`, "for example 2.0.1"}},
		{"too big", "256.0.0", grConfig, nil, []string{`artifacts.goreleaser: metadata.json version "256.0.0": major 256 is larger than 255`}},
		{"missing arch", "1.2.3", grConfig, []map[string]any{testutil.GoReleaserBinary("hello", "hello.exe", "amd64", "v1")}, []string{
			`x86: build "hello" has no windows/386 binary`, `arm64: build "hello" has no windows/arm64 binary`}},
		{"bad level", "1.2.3", grConfig + "    goamd64: v9\n", nil, []string{`goamd64 "v9" is not a GOAMD64 level (want v1, v2, v3 or v4)`}},
		{"no dist", "1.2.3", strings.Replace(grConfig, "dir: dist", "dir: nodist", 1), nil, []string{"nodist/artifacts.json does not exist"}},
		{"several builds", "1.2.3", strings.Replace(grConfig, "    builds: [hello]\n", "", 1), []map[string]any{
			testutil.GoReleaserBinary("hello", "hello.exe", "386", ""), testutil.GoReleaserBinary("hello", "hello.exe", "amd64", "v1"), testutil.GoReleaserBinary("hello", "hello.exe", "arm64", ""),
			testutil.GoReleaserBinary("helper", "helper.exe", "386", ""), testutil.GoReleaserBinary("helper", "helper.exe", "amd64", "v1"), testutil.GoReleaserBinary("helper", "helper.exe", "arm64", "")},
			[]string{"Windows binaries of 2 builds (hello.exe, helper.exe): set console.executable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := grDir(t, tc.version, tc.arts...)
			_, err := config.Parse([]byte(tc.config), "msiforge.yaml", d)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\ndoes not contain %q", err, w)
				}
			}
			// The failure is said once, not again as a missing payload,
			// executable or version.
			for _, no := range []string{"console.executable: is required", "product.version: is required", "has no payload", "does not contain"} {
				if strings.Contains(err.Error(), no) {
					t.Errorf("error:\n%v\nalso says %q", err, no)
				}
			}
		})
	}
}

// TestGoReleaserExampleConfig: examples/goreleaser/msiforge.yaml is valid
// next to a dist directory as `goreleaser build` leaves it for that
// example (TestGoReleaserWine builds it with the real GoReleaser).
func TestGoReleaserExampleConfig(t *testing.T) {
	src := filepath.Join(testutil.RepoRoot(t), "examples", "goreleaser")
	d := grDir(t, "1.2.3",
		testutil.GoReleaserBinary("hello", "hello.exe", "386", ""),
		testutil.GoReleaserBinary("hello", "hello.exe", "amd64", "v1"),
		testutil.GoReleaserBinary("hello", "hello.exe", "arm64", ""))
	data, err := os.ReadFile(filepath.Join(src, "msiforge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data, "msiforge.yaml", d)
	if err != nil {
		t.Fatal(err)
	}
	if c.Console.Executable != "hello.exe" || c.Product.Version != "1.2.3" || len(c.Console.Payload["arm64"]) != 2 || len(c.Warnings) != 0 {
		t.Errorf("executable %q, version %q, payload %v, warnings %q", c.Console.Executable, c.Product.Version, c.Console.Payload, c.Warnings)
	}
}
