package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/internal/site"
	"github.com/msiforge/msiforge/packaging"
)

// ShardFile is the manifest of a shard's output directory (build --shard).
const ShardFile = "shard.json"

// ShardSchemaVersion is the version of ShardFile's format; merge refuses
// any other.
const ShardSchemaVersion = 1

// ShardManifest is what a shard's output records, so that merge can check
// where its artifacts come from and write the release's manifest.json,
// SHA256SUMS and index.html exactly as a one-machine build would.
type ShardManifest struct {
	SchemaVersion int `json:"schema_version"`
	// Shard is INDEX/COUNT as given to build --shard.
	Shard string `json:"shard"`
	Index int    `json:"index"`
	Count int    `json:"count"`
	// ConfigSHA256 is the SHA-256 of the config file's bytes.
	ConfigSHA256    string                `json:"config_sha256"`
	Msiforge        string                `json:"msiforge"`
	SourceDateEpoch int64                 `json:"source_date_epoch"`
	Product         manifest.Product      `json:"product"`
	LintIgnored     []manifest.LintIgnore `json:"lint_ignored,omitempty"`
	Tools           map[string]string     `json:"tools"`
	// Page is the download page's wording (output.page), which merge
	// gives the page it writes; absent when the config sets none.
	Page *site.Page `json:"page,omitempty"`
	// Plan is every target key of the release, in plan order; Targets
	// are this shard's.
	Plan    []string `json:"plan"`
	Targets []string `json:"targets"`
	// Artifacts are this shard's files, in build order; Path is a file
	// name in the shard's directory.
	Artifacts []ShardArtifact `json:"artifacts"`
}

// ShardArtifact is an artifact and the key of the target that built it.
type ShardArtifact struct {
	Target string `json:"target"`
	packaging.Artifact
}

// ConfigSHA256 returns the SHA-256 of the config file at path: what the
// shards of one release must share.
func ConfigSHA256(path string) (string, error) {
	data, err := safefile.ReadFile(path, 1<<20)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// onlyTargets keeps the sources whose target key is in keys (all when
// keys is empty).
func onlyTargets(srcs []Source, keys []string) []Source {
	if len(keys) == 0 {
		return srcs
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []Source
	for _, s := range srcs {
		if want[s.Target.Key()] {
			out = append(out, s)
		}
	}
	return out
}

// BuildShard builds shard sh of c's release into the output directory:
// its artifacts and shard.json (no manifest.json, SHA256SUMS or page:
// merge writes those). Like Release, it stages the output and publishes
// it at once.
func BuildShard(ctx context.Context, run execx.Runner, c *config.Config, opts Options, sh plan.Shard, configSHA256, msiforge string) (*Result, error) {
	ts, err := plan.Targets(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	mine, err := plan.Select(ts, sh)
	if err != nil {
		return nil, err
	}
	opts.Targets = plan.Keys(mine)
	dir := opts.OutDir
	if dir == "" {
		dir = c.OutputDir()
	}
	opts.progress("shard %s: %s", sh, strings.Join(opts.Targets, ", "))
	if err := Preflight(c, opts.Archs); err != nil {
		return nil, err
	}
	names := []string{ShardFile}
	for _, t := range mine {
		names = append(names, t.File)
		if t.EXE != "" {
			names = append(names, t.EXE)
		}
	}
	return stageAndPublish(ctx, dir, opts, names, []string{ShardFile}, func(staging string) ([]packaging.Artifact, error) {
		bopts := opts
		bopts.OutDir = staging
		bopts.keys = newKeying(ctx, run, c, opts, mine, dir, msiforge)
		rec := &execx.Recorder{Runner: run}
		arts, err := Build(ctx, rec, c, bopts)
		if err != nil {
			return nil, err
		}
		if opts.Verify != nil {
			if err := opts.Verify(arts); err != nil {
				return nil, err
			}
		}
		m := newManifest(c, arts, toolVersions(ctx, run, bopts.keys, rec.Tools()), msiforge, opts.Epoch)
		sm := ShardManifest{
			SchemaVersion: ShardSchemaVersion, Shard: sh.String(), Index: sh.Index, Count: sh.Count,
			ConfigSHA256: configSHA256, Msiforge: msiforge, SourceDateEpoch: m.Build.SourceDateEpoch,
			Product: m.Product, LintIgnored: m.LintIgnored, Tools: m.Build.Tools,
			Plan: plan.Keys(ts), Targets: opts.Targets,
		}
		if pg := pageOf(c); pg != (site.Page{}) {
			sm.Page = &pg
		}
		keyOf := map[string]string{}
		for _, t := range mine {
			keyOf[t.File], keyOf[t.EXE] = t.Key(), t.Key()
		}
		for _, a := range arts {
			a.Path = filepath.Base(a.Path)
			sm.Artifacts = append(sm.Artifacts, ShardArtifact{Target: keyOf[a.Path], Artifact: a})
		}
		data, _ := json.MarshalIndent(sm, "", "  ") // plain data: cannot fail
		if err := packaging.WriteFile(filepath.Join(staging, ShardFile), append(data, '\n')); err != nil {
			return nil, err
		}
		return arts, nil
	})
}

// stageAndPublish publishes an output that is not built from a config
// alone (a shard, a merge) through the one publish step (Publication):
// names are the files it will hold, records those of them fill writes
// besides the artifacts, the describing one first.
func stageAndPublish(ctx context.Context, dir string, opts Options, names, records []string, fill func(staging string) ([]packaging.Artifact, error)) (*Result, error) {
	p, err := Begin(dir, names, PublishOptions{Clean: opts.Clean, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	arts, err := fill(p.Staging())
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.PublishWith(arts, records...)
}

// readShard reads dir/shard.json.
func readShard(dir string) (*ShardManifest, error) {
	p := filepath.Join(dir, ShardFile)
	data, err := safefile.ReadFile(p, 16<<20)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s: no %s: not the output of msiforge build --shard", dir, ShardFile)
	}
	if err != nil {
		return nil, err
	}
	var sm ShardManifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sm); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	if sm.SchemaVersion != ShardSchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d: this msiforge reads version %d; merge with the msiforge that built the shards", p, sm.SchemaVersion, ShardSchemaVersion)
	}
	if sm.Count < 1 || sm.Index < 1 || sm.Index > sm.Count {
		return nil, fmt.Errorf("%s: shard %d/%d: want 1 <= index <= count", p, sm.Index, sm.Count)
	}
	return &sm, nil
}

type shardIn struct {
	dir string
	m   *ShardManifest
}

// Merge combines the outputs of build --shard in dirs into one release in
// out: the artifacts, and manifest.json, SHA256SUMS and index.html, the
// same bytes a one-machine build of the same config writes. It refuses
// shards of different configs, product versions, msiforge versions,
// SOURCE_DATE_EPOCHs, shard counts or architectures, a shard given twice
// or missing, and an artifact whose bytes are not those its shard
// recorded. The release is published like Release's: all at once.
func Merge(ctx context.Context, out string, dirs []string, opts Options) (*Result, error) {
	shards, err := readShards(out, dirs)
	if err != nil {
		return nil, err
	}
	first := shards[0].m
	tools := map[string]string{}
	toolFrom := map[string]string{}
	type src struct {
		dir, target string
		a           packaging.Artifact
	}
	// In plan order, each target's artifacts in build order, as build
	// lists them.
	order := map[string]int{}
	for i, k := range first.Plan {
		order[k] = i
	}
	var srcs []src
	fileFrom := map[string]string{}
	for _, s := range shards {
		for _, name := range sortedKeys(s.m.Tools) {
			v := s.m.Tools[name]
			if have, ok := tools[name]; ok && have != v {
				return nil, fmt.Errorf("the shards ran different versions of %s: %q in %s, %q in %s; a release records one version of each tool, so build every shard with the same tools", name, have, toolFrom[name], v, s.dir)
			}
			tools[name], toolFrom[name] = v, s.dir
		}
		for _, sa := range s.m.Artifacts {
			a := sa.Artifact
			name := a.Path
			if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
				return nil, fmt.Errorf("%s: artifact %q: not a file name", filepath.Join(s.dir, ShardFile), name)
			}
			switch name {
			case ManifestFile, SumsFile, PageFile, ShardFile:
				return nil, fmt.Errorf("%s: artifact %q: a name merge writes itself", filepath.Join(s.dir, ShardFile), name)
			}
			if d, ok := fileFrom[name]; ok {
				return nil, fmt.Errorf("artifact %s is in two shards: %s and %s", name, d, s.dir)
			}
			fileFrom[name] = s.dir
			srcs = append(srcs, src{s.dir, sa.Target, a})
		}
	}
	sort.SliceStable(srcs, func(i, j int) bool { return order[srcs[i].target] < order[srcs[j].target] })
	opts.progress("merging %d shards into %s", len(shards), out)
	names := []string{ManifestFile, SumsFile, PageFile}
	for _, s := range srcs {
		names = append(names, s.a.Path)
	}
	return stageAndPublish(ctx, out, opts, names, []string{ManifestFile, SumsFile, PageFile}, func(staging string) ([]packaging.Artifact, error) {
		var arts []packaging.Artifact
		for _, s := range srcs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			from := filepath.Join(s.dir, s.a.Path)
			to := filepath.Join(staging, s.a.Path)
			sum, err := packaging.CopyFileSum(from, to)
			if err != nil {
				return nil, err
			}
			fi, err := os.Stat(to)
			if err != nil {
				return nil, err
			}
			if sum != s.a.SHA256 || fi.Size() != s.a.Size {
				return nil, fmt.Errorf("%s: sha256 %s, %d bytes, but %s records sha256 %s, %d bytes: the file changed after its shard was built", from, sum, fi.Size(), filepath.Join(s.dir, ShardFile), s.a.SHA256, s.a.Size)
			}
			a := s.a
			a.Path = to
			arts = append(arts, a)
			opts.progress("took %s from %s", s.a.Path, s.dir)
		}
		m := manifest.New(first.Product, arts, manifest.Build{Msiforge: first.Msiforge, Tools: tools, SourceDateEpoch: first.SourceDateEpoch})
		m.LintIgnored = first.LintIgnored
		var pg site.Page
		if first.Page != nil {
			pg = *first.Page
		}
		_, err := writeRecords(m, pg, staging)
		return arts, err
	})
}

// readShards reads every shard manifest and checks that together they
// are one whole release: one config, version, msiforge and epoch, every
// shard of the count exactly once, each with its share of the plan.
func readShards(out string, dirs []string) ([]shardIn, error) {
	outReal := realPath(out)
	var shards []shardIn
	for _, d := range dirs {
		if realPath(d) == outReal {
			return nil, fmt.Errorf("output directory %s is also a shard directory; merge replaces the output directory, so give it another one", out)
		}
		m, err := readShard(d)
		if err != nil {
			return nil, err
		}
		shards = append(shards, shardIn{d, m})
	}
	a := shards[0]
	for _, b := range shards[1:] {
		for _, c := range []struct {
			what, x, y string
			same       bool
		}{
			// The likeliest and most telling differences first.
			{"product versions", a.m.Product.Version, b.m.Product.Version, a.m.Product.Version == b.m.Product.Version},
			{"msiforge versions", a.m.Msiforge, b.m.Msiforge, a.m.Msiforge == b.m.Msiforge},
			{"configs (config_sha256)", a.m.ConfigSHA256, b.m.ConfigSHA256, a.m.ConfigSHA256 == b.m.ConfigSHA256},
			{"SOURCE_DATE_EPOCHs", fmt.Sprint(a.m.SourceDateEpoch), fmt.Sprint(b.m.SourceDateEpoch), a.m.SourceDateEpoch == b.m.SourceDateEpoch},
			{"shard counts", fmt.Sprint(a.m.Count), fmt.Sprint(b.m.Count), a.m.Count == b.m.Count},
			{"products", fmt.Sprint(a.m.Product), fmt.Sprint(b.m.Product), a.m.Product == b.m.Product},
			{"target lists (--arch)", strings.Join(a.m.Plan, ","), strings.Join(b.m.Plan, ","), reflect.DeepEqual(a.m.Plan, b.m.Plan)},
			{"lint.ignore", fmt.Sprint(a.m.LintIgnored), fmt.Sprint(b.m.LintIgnored), reflect.DeepEqual(a.m.LintIgnored, b.m.LintIgnored)},
		} {
			if !c.same {
				return nil, fmt.Errorf("%s and %s are shards of different releases: different %s, %s and %s", a.dir, b.dir, c.what, c.x, c.y)
			}
		}
	}
	n := a.m.Count
	byIndex := map[int]string{}
	for _, s := range shards {
		if d, ok := byIndex[s.m.Index]; ok {
			return nil, fmt.Errorf("shard %d/%d given twice: %s and %s", s.m.Index, n, d, s.dir)
		}
		byIndex[s.m.Index] = s.dir
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		var have []string
		for _, s := range shards {
			have = append(have, fmt.Sprintf("%s in %s", s.m.Shard, s.dir))
		}
		sort.Strings(have)
		return nil, fmt.Errorf("shard %s missing: merge needs all %d shards (have %s)", strings.Join(missing, ", "), n, strings.Join(have, ", "))
	}
	for _, s := range shards {
		var want []string
		for i, k := range s.m.Plan {
			if plan.ShardOf(i, n) == s.m.Index {
				want = append(want, k)
			}
		}
		if !reflect.DeepEqual(want, s.m.Targets) {
			return nil, fmt.Errorf("%s: shard %s lists targets %s, but its share of the plan is %s", filepath.Join(s.dir, ShardFile), s.m.Shard, strings.Join(s.m.Targets, ", "), strings.Join(want, ", "))
		}
		built := map[string]bool{}
		for _, a := range s.m.Artifacts {
			if !slices.Contains(want, a.Target) {
				return nil, fmt.Errorf("%s: artifact %s: target %q is not one of the shard's (%s)", filepath.Join(s.dir, ShardFile), a.Path, a.Target, strings.Join(want, ", "))
			}
			built[a.Target] = true
		}
		for _, k := range want {
			if !built[k] {
				return nil, fmt.Errorf("%s: target %s has no artifact", filepath.Join(s.dir, ShardFile), k)
			}
		}
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].m.Index < shards[j].m.Index })
	return shards, nil
}

// realPath is path made absolute with its symbolic links resolved, as far
// as it exists: two spellings of one directory compare equal.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
