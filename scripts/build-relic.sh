#!/bin/sh
# build-relic.sh: build the stock relic signing server (github.com/sassoftware/relic/v8)
# once into a cache directory and print its path. The remote-signing tests
# start it as `relic serve`. Idempotent: an existing binary of this version
# is reused.
#
# `go install github.com/sassoftware/relic/v8@v8.2.0` does not work: the
# module proxy has no version list for /v8, which go install reads to check
# for deprecation. Requiring it from a throwaway module and building the
# main package does.
set -eu
RELIC_VERSION=v8.2.0
GO=${GO:-go}
dir=${MSIFORGE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/msiforge/tools}/relic-$RELIC_VERSION
bin=$dir/relic
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  $GO mod init msiforge.local/relicbuild >/dev/null 2>&1
  $GO get "github.com/sassoftware/relic/v8@$RELIC_VERSION" >&2
  # cgo stays on when available: the server's PKCS#11 workers need it.
  $GO build -trimpath -o "$bin.tmp" github.com/sassoftware/relic/v8 >&2
)
mv "$bin.tmp" "$bin"
echo "$bin"
