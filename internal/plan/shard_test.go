package plan_test

import (
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestKeys: a key names kind, role and architecture, is unique in the
// plan and does not change when the config lists its architectures in
// another order or another architecture is added.
func TestKeys(t *testing.T) {
	c, err := config.Load(testutil.ExampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := plan.Targets(c, []string{"x64", "x86"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan.Keys(ts), " ")
	want := "console-x86 console-x64 vsc-representative-x86 vsc-representative-x64 vsc-customer-x86 vsc-customer-x64"
	if got != want {
		t.Errorf("keys %s\nwant %s", got, want)
	}
	all, err := plan.Targets(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]plan.Target{}
	for _, t1 := range all {
		if prev, ok := seen[t1.Key()]; ok {
			t.Errorf("key %s names %s and %s", t1.Key(), prev.File, t1.File)
		}
		seen[t1.Key()] = t1
	}
	for _, t0 := range ts {
		if seen[t0.Key()].File != t0.File {
			t.Errorf("key %s: %s with two architectures, %s with three", t0.Key(), t0.File, seen[t0.Key()].File)
		}
	}
}

// TestShards: every target is in exactly one shard, shards differ in size
// by at most one, none is empty, and more shards than targets is refused.
func TestShards(t *testing.T) {
	c, err := config.Load(testutil.ExampleConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := plan.Targets(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= len(ts); n++ {
		count := map[string]int{}
		lo, hi := len(ts), 0
		for i := 1; i <= n; i++ {
			share, err := plan.Select(ts, plan.Shard{Index: i, Count: n})
			if err != nil {
				t.Fatal(err)
			}
			lo, hi = min(lo, len(share)), max(hi, len(share))
			for _, x := range share {
				count[x.Key()]++
			}
		}
		if lo == 0 || hi-lo > 1 {
			t.Errorf("%d shards: sizes from %d to %d", n, lo, hi)
		}
		for _, x := range ts {
			if count[x.Key()] != 1 {
				t.Errorf("%d shards: %s is in %d shards", n, x.Key(), count[x.Key()])
			}
		}
	}
	_, err = plan.Select(ts, plan.Shard{Index: 1, Count: len(ts) + 1})
	if err == nil || !strings.Contains(err.Error(), "at most 9 shards") {
		t.Errorf("10 shards of 9 targets: %v", err)
	}
	// The 2-shard split of the example: console and VSC packages mixed.
	one, _ := plan.Select(ts, plan.Shard{Index: 1, Count: 2})
	if got := strings.Join(plan.Keys(one), " "); got != "console-x86 console-arm64 vsc-representative-x64 vsc-customer-x86 vsc-customer-arm64" {
		t.Errorf("shard 1/2: %s", got)
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]string{"1/1": "1/1", "2/3": "2/3", "0/2": "", "3/2": "", "1": "", "a/b": "", "1/0": "", "-1/2": "", "1/2/3": ""} {
		s, err := plan.ParseShard(in)
		if want == "" {
			if err == nil || !strings.Contains(err.Error(), "--shard") || !strings.Contains(err.Error(), "INDEX/COUNT") {
				t.Errorf("%q: %v, %v", in, s, err)
			}
			continue
		}
		if err != nil || s.String() != want {
			t.Errorf("%q: %v, %v", in, s, err)
		}
	}
}
