#!/usr/bin/env bash
# bench-sign.sh: time and peak memory of msiforge's in-process signer versus
# osslsigncode and a plain Go SHA-256 pass, on a ~200 MB MSI (wixl, random
# payload) and a ~200 MB PE (a Go hello.exe with a random overlay).
#
# Usage: scripts/bench-sign.sh [WORKDIR]   (SIZE_MB=200 RUNS=5 by default)
# Needs: go, wixl, osslsigncode, GNU time (/usr/bin/time; apt-get install time).
# Not part of the test run: it writes ~1 GB and takes a minute or two.
set -euo pipefail

SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/msiforge-bench.XXXXXX)}
mkdir -p "$work"
cd "$work"

for tool in go wixl osslsigncode /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-sign: $tool not found" >&2; exit 4; }
done

echo "bench-sign: building helpers and inputs in $work" >&2
(cd "$root" && go build -o "$work/benchsign" ./scripts/benchsign)
./benchsign devcert "$work"

[[ -f big.msi ]] || "$root/scripts/big-msi.sh" "$SIZE_MB" "$work/big.msi"
if [[ ! -f big.exe ]]; then
  mkdir -p hello
  printf 'package main\n\nfunc main() { println("hello") }\n' > hello/main.go
  (cd hello && [[ -f go.mod ]] || go mod init hello >/dev/null 2>&1; GOOS=windows GOARCH=amd64 go build -trimpath -ldflags=-s -o ../hello.exe .)
  [[ -f payload.bin ]] || head -c $((SIZE_MB << 20)) /dev/urandom > payload.bin
  cat hello.exe payload.bin > big.exe
fi
rm -f payload.bin

# measure LABEL FILE CMD... : best wall time, best CPU time (user+sys) and
# max RSS over $RUNS runs. The best, not the median, because on a shared
# 2-core machine other work only ever adds time.
# Each run gets a fresh copy of FILE as in.<ext> (signing changes it) and
# a warm page cache.
results=()
measure() {
  local label=$1 file=$2; shift 2
  local ext=${file##*.} times=() cpus=() rss=()
  for ((i = 0; i < RUNS; i++)); do
    cp "$file" "in.$ext"; rm -f "out.$ext"; cat "in.$ext" > /dev/null
    sync  # no writeback of the copy inside the timed run
    /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > /dev/null 2> cmd.err || { cat cmd.err >&2; exit 1; }
    read -r t u s m < time.txt
    times+=("$t"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"); rss+=("$m")
  done
  local mt mc mr
  mt=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  mc=$(printf '%s\n' "${cpus[@]}" | sort -n | head -1)
  mr=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  results+=("$file|$label|$mt|$mc|$mr")
}

for f in big.msi big.exe; do
  ext=${f##*.}
  dse=(); [[ $ext == msi ]] && dse=(-add-msi-dse)
  measure "go sha256 (floor)" "$f" ./benchsign sha256 "in.$ext"
  # In place means write a temporary file and rename it over the input, so
  # the run also pays for freeing the old file's blocks (with ext4's
  # "discard" option that is not free); "to a new file" is what
  # osslsigncode does.
  measure "msiforge sign, in place (atomic rename)" "$f" ./benchsign sign cert.pem key.pem "in.$ext"
  measure "msiforge sign, to a new file" "$f" ./benchsign sign-to cert.pem key.pem "in.$ext" "out.$ext"
  measure "osslsigncode sign, to a new file" "$f" osslsigncode sign -certs cert.pem -key key.pem -h sha256 "${dse[@]}" -in "in.$ext" -out "out.$ext"
  # verify a signed copy
  cp "$f" "signed.$ext"; ./benchsign sign cert.pem key.pem "signed.$ext"
  measure "msiforge verify" "signed.$ext" ./benchsign verify cert.pem "in.$ext"
  measure "osslsigncode verify" "signed.$ext" osslsigncode verify -CAfile cert.pem -in "in.$ext"
done

echo
echo "load average before the table: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '\n| file | size MB | step | best wall s (%d runs) | wall × sha256 | best CPU s | CPU × sha256 | max RSS MB |\n|---|---|---|---|---|---|---|---|\n' "$RUNS"
declare -A floor cfloor
for r in "${results[@]}"; do
  IFS='|' read -r f label t c m <<< "$r"
  base=${f##*.}
  if [[ $label == "go sha256 (floor)" ]]; then floor[$base]=$t; cfloor[$base]=$c; fi
  size=$(( $(stat -c %s "$f") / 1000000 ))
  ratio=$(awk -v a="$t" -v b="${floor[$base]}" 'BEGIN { printf "%.2f", a / b }')
  cratio=$(awk -v a="$c" -v b="${cfloor[$base]}" 'BEGIN { printf "%.2f", a / b }')
  mb=$(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$f" "$size" "$label" "$t" "$ratio" "$c" "$cratio" "$mb"
done
