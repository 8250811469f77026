#!/usr/bin/env bash
# fuzz.sh PKG TARGET FUZZTIME: runs one fuzz target. Go 1.26's fuzz
# coordinator can end a duration-based -fuzztime run with a bare "context
# deadline exceeded" and no failing input (golang/go#75804, fixed in Go
# 1.27). Such a run is retried once; a real finding (a failing input written
# to testdata/fuzz, a panic or a test error) fails at once.
set -uo pipefail
pkg=$1 target=$2 fuzztime=$3
go=${GO:-go}
for try in 1 2; do
	log=$(mktemp)
	$go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then rm -f "$log"; exit 0; fi
	if grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log" && [ "$try" = 1 ]; then
		echo "fuzz.sh: $target ended with Go's fuzztime deadline race (golang/go#75804), no failing input; running it again" >&2
		rm -f "$log"
		continue
	fi
	rm -f "$log"
	exit "$rc"
done
