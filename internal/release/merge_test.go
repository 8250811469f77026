package release_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

// fakeShard writes a shard output directory as build --shard would: one
// small file per target and shard.json; edit changes the manifest before
// it is written.
func fakeShard(t *testing.T, dir string, index, count int, edit func(*release.ShardManifest)) string {
	t.Helper()
	keys := []string{"console-x86", "console-x64", "vsc-representative-x86", "vsc-representative-x64"}
	sm := release.ShardManifest{
		SchemaVersion: release.ShardSchemaVersion, Shard: strings.Join([]string{itoa(index), itoa(count)}, "/"), Index: index, Count: count,
		ConfigSHA256: strings.Repeat("ab", 32), Msiforge: "1.0.0", SourceDateEpoch: 1700000000,
		Product: manifest.Product{Name: "P", Manufacturer: "M", Version: "1.2.3", UpgradeCode: "{X}"},
		Tools:   map[string]string{"wixl": "0.101"}, Plan: keys,
	}
	for i, k := range keys {
		if i%count+1 != index {
			continue
		}
		sm.Targets = append(sm.Targets, k)
		name := k + ".msi"
		data := []byte("artifact " + k)
		sum := sha256.Sum256(data)
		sm.Artifacts = append(sm.Artifacts, release.ShardArtifact{Target: k,
			Artifact: packaging.Artifact{Path: name, Kind: "console-msi", Arch: "x64", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}})
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(&sm)
	}
	data, _ := json.Marshal(sm)
	if err := os.WriteFile(filepath.Join(dir, release.ShardFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestMergeRefuses: each way shards can fail to make one release is
// refused with the directories named, and nothing is written to OUT.
func TestMergeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dirs  func(root string) []string
		want  []string
		wantN string // substring naming the directories
	}{
		{"missing", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 3, nil), fakeShard(t, r+"/c", 3, 3, nil)}
		}, []string{"shard 2/3 missing", "1/3 in "}, "/c"},
		{"duplicate", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 1, 2, nil), fakeShard(t, r+"/c", 2, 2, nil)}
		}, []string{"shard 1/2 given twice"}, "/b"},
		{"other config", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 2, func(m *release.ShardManifest) { m.ConfigSHA256 = strings.Repeat("cd", 32) })}
		}, []string{"shards of different releases", "configs"}, "/b"},
		{"other version", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 2, func(m *release.ShardManifest) { m.Product.Version = "1.2.4" })}
		}, []string{"product versions, 1.2.3 and 1.2.4"}, "/b"},
		{"other msiforge", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 2, func(m *release.ShardManifest) { m.Msiforge = "1.0.1" })}
		}, []string{"msiforge versions, 1.0.0 and 1.0.1"}, "/b"},
		{"other epoch", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 2, func(m *release.ShardManifest) { m.SourceDateEpoch++ })}
		}, []string{"SOURCE_DATE_EPOCHs"}, "/b"},
		{"other count", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 3, nil)}
		}, []string{"shard counts, 2 and 3"}, "/b"},
		{"other tool version", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, nil), fakeShard(t, r+"/b", 2, 2, func(m *release.ShardManifest) { m.Tools["wixl"] = "0.100" })}
		}, []string{"different versions of wixl", `"0.101"`, `"0.100"`}, "/b"},
		{"wrong share", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, func(m *release.ShardManifest) { m.Targets = m.Targets[:1] }), fakeShard(t, r+"/b", 2, 2, nil)}
		}, []string{"lists targets console-x86, but its share of the plan is console-x86, vsc-representative-x86"}, "/a"},
		{"artifact of another shard's target", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, func(m *release.ShardManifest) { m.Artifacts[0].Target = "console-x64" }), fakeShard(t, r+"/b", 2, 2, nil)}
		}, []string{`artifact console-x86.msi: target "console-x64" is not one of the shard's (console-x86, vsc-representative-x86)`}, "/a"},
		{"target without artifact", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, func(m *release.ShardManifest) { m.Artifacts = m.Artifacts[:1] }), fakeShard(t, r+"/b", 2, 2, nil)}
		}, []string{"target vsc-representative-x86 has no artifact"}, "/a"},
		{"changed artifact", func(r string) []string {
			a := fakeShard(t, r+"/a", 1, 2, nil)
			if err := os.WriteFile(filepath.Join(a, "console-x86.msi"), []byte("tampered"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{a, fakeShard(t, r+"/b", 2, 2, nil)}
		}, []string{"console-x86.msi: sha256", "the file changed after its shard was built"}, "/a"},
		{"path in artifact", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 2, func(m *release.ShardManifest) { m.Artifacts[0].Path = "../x.msi" }), fakeShard(t, r+"/b", 2, 2, nil)}
		}, []string{`artifact "../x.msi": not a file name`}, "/a"},
		{"not a shard", func(r string) []string {
			os.MkdirAll(r+"/empty", 0o755)
			return []string{fakeShard(t, r+"/a", 1, 2, nil), r + "/empty"}
		}, []string{"no shard.json: not the output of msiforge build --shard"}, "/empty"},
		{"other schema", func(r string) []string {
			return []string{fakeShard(t, r+"/a", 1, 1, func(m *release.ShardManifest) { m.SchemaVersion = 2 })}
		}, []string{"schema_version 2"}, "/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			out := filepath.Join(root, "out")
			_, err := release.Merge(context.Background(), out, tc.dirs(root), release.Options{})
			if err == nil {
				t.Fatal("merge succeeded")
			}
			for _, w := range append(tc.want, root+tc.wantN) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if _, err := os.Lstat(out); !os.IsNotExist(err) {
				t.Errorf("merge left %s behind (%v)", out, err)
			}
			if left, _ := filepath.Glob(filepath.Join(root, ".out.msiforge-*")); len(left) > 0 {
				t.Errorf("merge left %v behind", left)
			}
		})
	}
}

// TestMergeOutIsAShard: merging into one of the shard directories would
// replace it while reading it.
func TestMergeOutIsAShard(t *testing.T) {
	root := t.TempDir()
	a := fakeShard(t, root+"/a", 1, 1, nil)
	_, err := release.Merge(context.Background(), a+"/", []string{a}, release.Options{})
	if err == nil || !strings.Contains(err.Error(), "is also a shard directory") {
		t.Fatalf("err = %v", err)
	}
}

// TestMergeFakeShards merges well-formed shards (given out of order) and
// then merges again over the result: the release lists every artifact
// once, in SHA256SUMS too, and replaces the earlier one.
func TestMergeFakeShards(t *testing.T) {
	root := t.TempDir()
	dirs := []string{fakeShard(t, root+"/b", 2, 2, nil), fakeShard(t, root+"/a", 1, 2, nil)}
	out := filepath.Join(root, "out")
	for range 2 {
		res, err := release.Merge(context.Background(), out, dirs, release.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Artifacts) != 4 || len(res.Records) != 3 {
			t.Fatalf("merged %d artifacts, %d records", len(res.Artifacts), len(res.Records))
		}
	}
	sums, err := os.ReadFile(filepath.Join(out, release.SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sums), "\n"); n != 4 {
		t.Errorf("SHA256SUMS has %d lines:\n%s", n, sums)
	}
	if got := strings.Join(dirNames(t, out), " "); got != "SHA256SUMS console-x64.msi console-x86.msi index.html manifest.json vsc-representative-x64.msi vsc-representative-x86.msi" {
		t.Errorf("out holds %s", got)
	}
	res, err := release.Merge(context.Background(), out, dirs, release.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Artifacts {
		got = append(got, filepath.Base(a.Path))
	}
	// Plan order, as build lists them, whatever the order of the shards.
	if strings.Join(got, " ") != "console-x86.msi console-x64.msi vsc-representative-x86.msi vsc-representative-x64.msi" {
		t.Errorf("merge lists %v", got)
	}
}

// noRun fails the test if the build runs any tool.
type noRun struct{ t *testing.T }

func (n noRun) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	n.t.Errorf("ran %s before refusing the output directory", c.Name)
	return execx.Result{}, context.Canceled
}

// TestShardOutputReplaces: a shard's output is published like a release
// (see Publication): a file msiforge did not write where an artifact goes,
// and the files of an earlier shard output the new one does not have, are
// refused before any tool runs, and the directory is left as it was.
func TestShardOutputReplaces(t *testing.T) {
	root := t.TempDir()
	c, err := config.Load(testutil.ExampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(root, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "example-console-1.4.2-x86.msi"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = release.BuildShard(context.Background(), noRun{t}, c, release.Options{OutDir: foreign}, plan.Shard{Index: 1, Count: 2}, "x", "1.0")
	if err == nil || !strings.Contains(err.Error(), "holds example-console-1.4.2-x86.msi, which msiforge did not write") {
		t.Errorf("err = %v, want the foreign file named", err)
	}
	if got := strings.Join(dirNames(t, foreign), " "); got != "example-console-1.4.2-x86.msi" {
		t.Errorf("foreign directory now holds %s", got)
	}
	// An earlier shard output, with a file of the user's beside it.
	old := fakeShard(t, filepath.Join(root, "old"), 1, 2, nil)
	if err := os.WriteFile(filepath.Join(old, "extra.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := strings.Join(dirNames(t, old), " ")
	_, err = release.BuildShard(context.Background(), noRun{t}, c, release.Options{OutDir: old}, plan.Shard{Index: 1, Count: 2}, "x", "1.0")
	if err == nil || !strings.Contains(err.Error(), "that this release does not have: console-x86.msi, vsc-representative-x86.msi;") || strings.Contains(err.Error(), "extra.bin") {
		t.Errorf("err = %v, want the earlier shard's files named (not the user's extra.bin)", err)
	}
	if got := strings.Join(dirNames(t, old), " "); got != before {
		t.Errorf("old shard directory now holds %s, want %s", got, before)
	}
}
