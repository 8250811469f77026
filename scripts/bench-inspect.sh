#!/usr/bin/env bash
# bench-inspect.sh: time and peak memory of `msiforge inspect` versus
# msitools on a ~200 MB MSI (wixl, random payload), plus the in-process
# benchmark of opening it and reading the Property table.
#
# Usage: scripts/bench-inspect.sh [WORKDIR]   (SIZE_MB=200 RUNS=5 by default)
# Needs: go, wixl, msitools, GNU time (/usr/bin/time).
# Not part of the test run: it writes ~400 MB.
set -euo pipefail

SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/msiforge-bench-inspect.XXXXXX)}
mkdir -p "$work"
cd "$work"
for tool in go wixl msiinfo msidump /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-inspect: $tool not found" >&2; exit 4; }
done

(cd "$root" && go build -o "$work/msiforge" ./cmd/msiforge)
[[ -f big.msi ]] || "$root/scripts/big-msi.sh" "$SIZE_MB" "$work/big.msi"
size=$(stat -c %s big.msi)

# measure NAME CMD...: best wall time (ms, from date's nanoseconds: GNU
# time only has 10 ms steps) and the max RSS (MB) over RUNS runs.
measure() {
  local name=$1; shift
  local best=999999999 rss=0
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o t.txt "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    us=$(( (t1 - t0) / 1000 ))
    if (( us < best )); then best=$us; rss=$(( $(cat t.txt) / 1024 )); fi
  done
  printf '| %-40s | %8s | %7s |\n' "$name" "$(awk -v u="$best" 'BEGIN{printf "%.1f", u/1000}')" "$rss"
}

echo "big.msi: $size bytes"
echo
printf '| %-40s | %8s | %7s |\n' "command" "best ms" "max MB"
printf '|%s|%s|%s|\n' "------------------------------------------" "----------" "---------"
measure "msiforge inspect --table Property" ./msiforge inspect big.msi --table Property
measure "msiinfo export big.msi Property" msiinfo export big.msi Property
measure "msiforge inspect --json (all tables)" ./msiforge inspect big.msi --json
mkdir -p dump
measure "msidump -t (all tables)" msidump -t -d dump big.msi
measure "msiforge inspect --streams" ./msiforge inspect big.msi --streams
echo
echo "in process (go test -bench, same file):"
cd "$root" && MSI_BENCH_FILE="$work/big.msi" go test ./internal/msi -run '^$' -bench 'BenchmarkOpenProperties' -benchmem | grep -E 'Benchmark|ok'
