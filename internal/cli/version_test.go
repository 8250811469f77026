package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime/debug"
	"testing"
)

// TestVersionInfo: what each kind of build reports, through both
// `msiforge version` and `msiforge --version`, and `version --json`.
func TestVersionInfo(t *testing.T) {
	mod := func(v string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/msiforge/msiforge", Version: v}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	const rev = "3f43b6c0123456789abcdef0123456789abcdef0"
	for _, tc := range []struct {
		name    string
		linked  string
		info    func() (*debug.BuildInfo, bool)
		want    string
		wantRev string
	}{
		{"go install @version", "", mod("v1.2.3"), "v1.2.3", ""},
		{"checkout build (Go 1.24+ pseudo-version)", "", mod("v0.0.0-20261201104343-3f43b6c01234+dirty", "vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-01T10:43:43Z", "vcs.modified", "true"), "v0.0.0-20261201104343-3f43b6c01234+dirty", rev},
		{"checkout build without a version", "", mod("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "devel (revision 3f43b6c01234, modified)", rev},
		{"no vcs", "", mod("(devel)"), "devel", ""},
		{"no build info", "", func() (*debug.BuildInfo, bool) { return nil, false }, "devel", ""},
		{"make build", "v1.4.2-3-gabcdef", mod("(devel)", "vcs.revision", rev), "v1.4.2-3-gabcdef", rev},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(f func() (*debug.BuildInfo, bool), v string) { readBuildInfo, Version = f, v }(readBuildInfo, Version)
			readBuildInfo, Version = tc.info, tc.linked
			for _, args := range [][]string{{"version"}, {"--version"}} {
				var out, errb bytes.Buffer
				if code := Main(context.Background(), args, &out, &errb, func(string) string { return "" }); code != 0 || out.String() != "msiforge "+tc.want+"\n" {
					t.Errorf("%v: exit %d, %q %q; want %q", args, code, out.String(), errb.String(), "msiforge "+tc.want+"\n")
				}
			}
			var out bytes.Buffer
			if code := Main(context.Background(), []string{"version", "--json"}, &out, &out, func(string) string { return "" }); code != 0 {
				t.Fatalf("version --json: exit %d: %s", code, out.String())
			}
			var got buildInfo
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Version != tc.want || got.VCSRevision != tc.wantRev {
				t.Errorf("version --json = %+v; want version %q, revision %q", got, tc.want, tc.wantRev)
			}
		})
	}
}
