package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/packaging"
)

// Key names t by what it builds, never by its position in the plan:
// "console-x64" (the console MSI and its EXE, one unit), or
// "vsc-representative-x64" / "vsc-customer-arm64". Shard manifests and
// merge identify targets by key, so a key means the same target in every
// shard of a release whatever the order of the config.
func (t Target) Key() string {
	if t.Kind == packaging.KindConsoleMSI {
		return "console-" + t.Arch
	}
	return t.Kind + "-" + t.Arch
}

// Shard is one share of a release's targets: number Index (1-based) of
// Count, as written on the command line ("2/3").
type Shard struct {
	Index, Count int
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// IsZero reports whether s is unset (the whole release).
func (s Shard) IsZero() bool { return s.Count == 0 }

// ParseShard reads "i/n" with 1 <= i <= n.
func ParseShard(v string) (Shard, error) {
	is, ns, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want INDEX/COUNT with 1 <= INDEX <= COUNT, e.g. 1/2", v)
	}
	return Shard{Index: i, Count: n}, nil
}

// Assign returns the shard number (1-based) of each of ts for count shards.
//
// Targets are dealt round-robin in plan order (console architectures in
// the canonical x86, x64, arm64 order, then the VSC packages), so each
// shard gets a similar mix of console and VSC targets and no shard is
// empty. The assignment depends on the position in the plan, not on a hash
// of the key: a hash spreads 4–12 targets over 2–4 shards so unevenly
// that one runner often gets twice the work and another none. Moving a
// target between shards from one release to the next costs nothing —
// every shard and the merge of one release compute the same plan from the
// same config (merge checks the config hash) and nothing is kept between
// releases by shard number — while keys stay stable for what needs a
// stable name (shard manifests, merge's checks, CI job names).
func Assign(ts []Target, count int) ([]int, error) {
	if count < 1 {
		return nil, fmt.Errorf("shard count %d: must be at least 1", count)
	}
	if count > len(ts) {
		return nil, fmt.Errorf("%d shards for %d targets: at most %d shards (one per target; a console MSI and its EXE are one target)", count, len(ts), len(ts))
	}
	out := make([]int, len(ts))
	for i := range ts {
		out[i] = ShardOf(i, count)
	}
	return out, nil
}

// ShardOf is the shard (1-based) of the target at position i of the plan.
func ShardOf(i, count int) int { return i%count + 1 }

// Select returns the targets of ts in shard s, in plan order.
func Select(ts []Target, s Shard) ([]Target, error) {
	if s.IsZero() {
		return ts, nil
	}
	as, err := Assign(ts, s.Count)
	if err != nil {
		return nil, fmt.Errorf("--shard %s: %w", s, err)
	}
	var out []Target
	for i, t := range ts {
		if as[i] == s.Index {
			out = append(out, t)
		}
	}
	return out, nil
}

// Keys returns the keys of ts, in order.
func Keys(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key()
	}
	return out
}
