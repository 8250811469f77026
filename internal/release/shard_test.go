package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// devSigner writes a development certificate into dir and returns a
// signer for it and the certificate's path.
func devSigner(t *testing.T, dir string) (release.Signer, string) {
	t.Helper()
	k := testutil.NewDevKey(t, dir, "msiforge shard test")
	s, err := sign.LoadPEM(k.CertPath, k.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	return release.NewSigner(s), k.CertPath
}

// TestShardsMergeToTheSameRelease builds the example (console and both VSC
// packages, x86 and x64, signed with RSA PKCS#1 v1.5 and no timestamp, so
// signatures are deterministic) once on one machine and once as shards
// 1/2 and 2/2 merged, with the same SOURCE_DATE_EPOCH: every file of the
// two release directories has the same bytes, and osslsigncode verifies
// every merged artifact.
func TestShardsMergeToTheSameRelease(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "osslsigncode", "go")
	ctx := context.Background()
	cfgPath := testutil.ExampleConfig(t)
	dir := t.TempDir()
	signer, certPath := devSigner(t, dir)
	opts := func(out string) release.Options {
		return release.Options{Archs: []string{"x86", "x64"}, OutDir: out, Signer: signer, SignPayload: true, Epoch: time.Unix(1700000000, 0)}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The page's wording (output.page) travels in shard.json to merge.
	cfg.Output.Page.ConsoleTitle = "Desktop app"
	sum, err := release.ConfigSHA256(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "one")
	if _, err := release.Release(ctx, execx.OS{}, cfg, opts(one), "test-1.0"); err != nil {
		t.Fatal(err)
	}
	var shardDirs []string
	for i := 1; i <= 2; i++ {
		out := filepath.Join(dir, "shard", string(rune('0'+i)))
		res, err := release.BuildShard(ctx, execx.OS{}, cfg, opts(out), plan.Shard{Index: i, Count: 2}, sum, "test-1.0")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Artifacts) == 0 {
			t.Fatalf("shard %d/2 built nothing", i)
		}
		shardDirs = append(shardDirs, out)
	}
	// The console MSI and its EXE stay in one shard.
	for _, d := range shardDirs {
		names := dirNames(t, d)
		for _, n := range names {
			if strings.HasSuffix(n, ".exe") && !slices.Contains(names, strings.TrimSuffix(n, ".exe")+".msi") {
				t.Errorf("%s holds %s without its MSI: %v", d, n, names)
			}
		}
	}
	merged := filepath.Join(dir, "merged")
	// Given in reverse order: the result must not depend on it.
	res, err := release.Merge(ctx, merged, []string{shardDirs[1], shardDirs[0]}, release.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, got := dirNames(t, one), dirNames(t, merged)
	if strings.Join(want, " ") != strings.Join(got, " ") {
		t.Fatalf("merged release holds %v, the one-machine release %v", got, want)
	}
	if len(want) != 4*2+3 { // console MSI+EXE, 2 VSC MSIs per arch; manifest, sums, page
		t.Fatalf("release holds %v", want)
	}
	for _, n := range want {
		a, err := os.ReadFile(filepath.Join(one, n))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the one-machine build and the merged shards", n)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(merged, "index.html")); !bytes.Contains(page, []byte(`<h2 id="console-h">Desktop app</h2>`)) {
		t.Error("the merged page lacks output.page.console_title")
	}
	for _, a := range res.Artifacts {
		out, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: "osslsigncode", Args: []string{"verify", "-CAfile", certPath, "-in", a.Path}})
		if err != nil || !strings.Contains(string(out.Stdout), "Succeeded") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(a.Path), err, out.Stdout)
		}
	}
	var m struct {
		Build struct{ Msiforge string } `json:"build"`
	}
	data, _ := os.ReadFile(filepath.Join(merged, release.ManifestFile))
	if err := json.Unmarshal(data, &m); err != nil || m.Build.Msiforge != "test-1.0" {
		t.Errorf("merged manifest: %v, msiforge %q", err, m.Build.Msiforge)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
