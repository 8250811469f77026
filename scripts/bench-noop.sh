#!/usr/bin/env bash
# bench-noop.sh measures the up-to-date check (issue 19): a no-op rebuild
# of the example release against a full build of it, both with
# `msiforge build` as `make demo` runs it (signed with the development
# certificate). It prints one tab-separated row:
#
#   no-op rebuild  <full s>  <no-op s>  <wall %>  <cpu %>  target <= 5 %  met|NOT met
#
# The full build is `build --force` (everything rebuilt, into a directory
# that holds the release already, as a rebuild after a change would). Each
# time is the median of RUNS runs (default 5): wall time, which the target
# is stated in, and CPU time (user + system, msiforge and the tools it
# runs), which a busy machine disturbs less. Run it from the repository
# root after `make build payload`; MSIFORGE, CONFIG and DEVCERT override
# the binary, the config and the certificate's directory.
set -euo pipefail
RUNS=${RUNS:-5}
MSIFORGE=${MSIFORGE:-bin/msiforge}
CONFIG=${CONFIG:-examples/console/msiforge.yaml}
DEVCERT=${DEVCERT:-.work/devcert}
[ -x "$MSIFORGE" ] || { echo "bench-noop: $MSIFORGE is missing: run make build" >&2; exit 1; }
[ -f "$DEVCERT/cert.pem" ] || "$MSIFORGE" dev-cert -o "$DEVCERT" --subject "Example Corp (development)" >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
TIMEFORMAT='%R %U %S'
# build prints "<wall s> <cpu s>" of one build; its output goes to $out/log.
build() {
	local t
	t=$( { time "$MSIFORGE" build -f "$CONFIG" -o "$out/dist" --cert "$DEVCERT/cert.pem" --key "$DEVCERT/key.pem" "$@" >/dev/null 2>"$out/log"; } 2>&1 ) ||
		{ cat "$out/log" >&2; exit 1; }
	awk '{print $1, $2 + $3}' <<<"$t"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
build >/dev/null # the first release, so the no-op builds have one to reuse
for i in $(seq "$RUNS"); do build --force; done >"$out/full"
for i in $(seq "$RUNS"); do build; done >"$out/noop"
grep -q '^msiforge: up to date: ' "$out/log" || { echo "bench-noop: the no-op build reused nothing" >&2; exit 1; }
if grep '^msiforge: building ' "$out/log" >&2; then echo "bench-noop: the no-op build rebuilt the above" >&2; exit 1; fi
fw=$(cut -d' ' -f1 "$out/full" | median) fc=$(cut -d' ' -f2 "$out/full" | median)
nw=$(cut -d' ' -f1 "$out/noop" | median) nc=$(cut -d' ' -f2 "$out/noop" | median)
awk -v fw="$fw" -v nw="$nw" -v fc="$fc" -v nc="$nc" 'BEGIN {
	r = 100 * nw / fw
	printf "no-op rebuild\t%.2f s\t%.2f s\t%.1f %% wall\t%.1f %% cpu\ttarget <= 5 %%\t%s\n", fw, nw, r, 100 * nc / fc, (r <= 5 ? "met" : "NOT met")
}'
