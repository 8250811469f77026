#!/usr/bin/env bash
# bench-sign.sh: time and peak memory of msiforge's in-process signer versus
# osslsigncode and a plain Go SHA-256 pass, on a ~200 MB MSI (wixl, random
# payload) and a ~200 MB PE (a Go hello.exe with a random overlay).
#
# A second table compares the key sources a build signs through (file,
# PKCS#11 on a SoftHSM2 token, a stock `relic serve` on loopback): per-file
# latency and the throughput of 8 parallel signers, on a small MSI and a
# 50 MB MSI (KEY_RUNS=5 files per signer, PAR=8).
#
# Usage: scripts/bench-sign.sh [WORKDIR]   (SIZE_MB=200 RUNS=5 by default;
#        PARTS=keys for the key-source table only)
# Needs: go, wixl, osslsigncode, GNU time (/usr/bin/time; apt-get install time);
# for the key sources softhsm2, opensc (pkcs11-tool), openssl, curl and relic
# (scripts/build-relic.sh builds it).
# Not part of the test run: it writes ~1 GB and takes a minute or two.
set -euo pipefail

SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-5}
PARTS=${PARTS:-formats,keys}
KEY_RUNS=${KEY_RUNS:-5}
PAR=${PAR:-8}
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

if [[ $PARTS == *formats* ]]; then
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
fi

# --- key sources ------------------------------------------------------------
if [[ $PARTS == *keys* ]]; then
  for tool in softhsm2-util pkcs11-tool openssl curl; do
    command -v "$tool" >/dev/null || { echo "bench-sign: $tool not found" >&2; exit 4; }
  done
  relic=$("$root/scripts/build-relic.sh")
  mkdir -p keysrc && cd keysrc
  [[ -f small/small.msi ]] || { mkdir -p small && "$root/scripts/big-msi.sh" 1 small/small.msi >/dev/null; rm -f small/payload.bin; }
  [[ -f mid/mid.msi ]] || { mkdir -p mid && "$root/scripts/big-msi.sh" 50 mid/mid.msi >/dev/null; rm -f mid/payload.bin; }
  # SoftHSM2 token in this directory, holding the bench key and certificate.
  rm -rf tokens && mkdir tokens
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$PWD" > softhsm2.conf
  export SOFTHSM2_CONF=$PWD/softhsm2.conf
  module=/usr/lib/softhsm/libsofthsm2.so
  softhsm2-util --init-token --free --label bench --so-pin 12345678 --pin 123456 >/dev/null
  openssl pkey -in ../key.pem -outform DER -out key.der
  openssl x509 -in ../cert.pem -outform DER -out cert.der
  for o in key.der:privkey cert.der:cert; do
    pkcs11-tool --module "$module" --token-label bench --login --pin 123456 \
      --write-object "${o%%:*}" --type "${o##*:}" --label codesign --id 01 >/dev/null
  done
  # relic serve on loopback: server certificate, a client CA, a runner.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.crt \
    -days 2 -subj /CN=bench-relic -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
    -days 2 -subj "/CN=bench CI CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout runner.key -out runner.csr -subj /CN=runner 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > runner.ext
  openssl x509 -req -in runner.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile runner.ext -out runner.crt 2>/dev/null
  port=$(( 20000 + RANDOM % 20000 ))
  {
    printf 'tokens:\n  file:\n    type: file\nkeys:\n  codesign:\n    token: file\n    keyfile: %s\n    x509certificate: %s\n    roles: [ci]\n' "$work/key.pem" "$work/cert.pem"
    printf 'server:\n  listen: "127.0.0.1:%s"\n  keyfile: server.key\n  certfile: server.crt\n  logfile: server.log\n' "$port"
    printf 'clients:\n  ci-ca:\n    nickname: ci-ca\n    roles: [ci]\n    certificate: |\n'
    sed 's/^/      /' ca.crt
  } > relic.yml
  "$relic" -c relic.yml serve & relic_pid=$!
  trap 'kill $relic_pid 2>/dev/null' EXIT
  for _ in $(seq 100); do curl -ksf "https://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  export BENCH_CERT=$work/cert.pem BENCH_KEY=$work/key.pem
  export BENCH_P11_MODULE=$module BENCH_P11_TOKEN=bench BENCH_P11_LABEL=codesign BENCH_PIN=123456
  export RELIC_URL=https://127.0.0.1:$port RELIC_CACERT=$PWD/server.crt RELIC_CLIENT_CERT=$PWD/runner.crt RELIC_CLIENT_KEY=$PWD/runner.key BENCH_REMOTE_KEY=codesign
  echo
  echo "load average before the key-source table: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
  printf '\n| file | size MB | key source | median ms per file | best ms | parallel signers | files/s | MB/s |\n|---|---|---|---|---|---|---|---|\n'
  for f in small/small.msi mid/mid.msi; do
    for kind in file pkcs11 remote; do
      "$work/benchsign" keys "$kind" "$f" "$KEY_RUNS" "$PAR"
    done
  done
fi
