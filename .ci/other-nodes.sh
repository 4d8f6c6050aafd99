#!/usr/bin/env bash
# Runs the packages' suites (core, sqlite, postgres, cli) on other Node majors, default 22 and 24,
# with binaries from the npm `node` package. better-sqlite3 is a native module built for one Node
# ABI: it is rebuilt (from source, against that Node's own headers) before each run, and the
# machine's own build is put back when this ends, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then set -- 22 24; fi
nodes="$(mktemp -d)"
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
cp "$addon" "$nodes/machine.node"
restore() {
  cp "$nodes/machine.node" "$addon"
  rm -rf "$nodes"
}
trap restore EXIT

for major in "$@"; do
  prefix="$nodes/$major"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null
  bin="$prefix/node_modules/node/bin"
  headers="$(dirname "$(find "$prefix/node_modules" -path '*/include/node/node.h' | head -n 1)")"
  echo "== Node $("$bin/node" --version): rebuilding better-sqlite3, then the packages' suites"
  PATH="$bin:$PATH" npm_config_nodedir="$(cd "$headers/../.." && pwd)" npm rebuild better-sqlite3 --loglevel=error
  PATH="$bin:$PATH" node node_modules/vitest/vitest.mjs run --hookTimeout=60000 packages/core packages/sqlite packages/postgres packages/cli
done
