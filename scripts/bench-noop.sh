#!/bin/sh
# bench-noop.sh measures the up-to-date check (issue 19): the wall time of
# a no-op rebuild of the example release against a full build of it, both
# with `msiforge build` as `make demo` runs it (signed with the development
# certificate). It prints one row:
#
#   no-op rebuild	<full s>	<no-op s>	<ratio %>	target <= 5 %	met|NOT met
#
# The full build is `build --force` (everything rebuilt, into a directory
# that holds the release already, as a rebuild after a change would); each
# time is the median of RUNS runs (default 3). Run it from the repository
# root after `make build payload`; MSIFORGE overrides the binary.
set -eu
RUNS=${RUNS:-3}
MSIFORGE=${MSIFORGE:-bin/msiforge}
CONFIG=${CONFIG:-examples/console/msiforge.yaml}
DEVCERT=${DEVCERT:-.work/devcert}
[ -x "$MSIFORGE" ] || { echo "bench-noop: $MSIFORGE is missing: run make build" >&2; exit 1; }
[ -f "$DEVCERT/cert.pem" ] || "$MSIFORGE" dev-cert -o "$DEVCERT" --subject "Example Corp (development)" >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build() {
	# Wall time in seconds of one build; its output is discarded.
	s=$(date +%s.%N)
	"$MSIFORGE" build -f "$CONFIG" -o "$out/dist" --cert "$DEVCERT/cert.pem" --key "$DEVCERT/key.pem" "$@" >/dev/null 2>"$out/log" ||
		{ cat "$out/log" >&2; exit 1; }
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN {print e - s}'
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
build >/dev/null # the first release, so the no-op builds have one to reuse
full=$(for i in $(seq "$RUNS"); do build --force; done | median)
noop=$(for i in $(seq "$RUNS"); do build; done | median)
grep -q '^msiforge: up to date: ' "$out/log" || { echo "bench-noop: the no-op build reused nothing" >&2; exit 1; }
if grep -q '^msiforge: building ' "$out/log"; then echo "bench-noop: the no-op build rebuilt something:" >&2; grep '^msiforge: building ' "$out/log" >&2; exit 1; fi
awk -v f="$full" -v n="$noop" 'BEGIN {
	r = 100 * n / f
	printf "no-op rebuild\t%.2f s\t%.2f s\t%.1f %%\ttarget <= 5 %%\t%s\n", f, n, r, (r <= 5 ? "met" : "NOT met")
}'
