#!/usr/bin/env bash
# newer-source.sh BUILD: is BUILD (a binary or dll built from src/) out of date? Prints the first
# source newer than it (or "missing" when BUILD does not exist) and exits 0; prints nothing and
# exits 1 when BUILD is current. One list for every launcher and test script that rebuilds on
# demand (./vscmi, ./test, tests/e2e/linux-guest.sh): C#, projects, props, json (global.json),
# the embedded model and dashboard files (toml, html, js, css); obj/ and bin/ are build output.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: newer-source.sh BUILD}"
if [ ! -e "$build" ]; then echo missing; exit 0; fi
first=$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" "$root/global.json" \
  \( -name obj -o -name bin \) -prune -o -newer "$build" \
  \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.toml' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
  -print -quit 2>/dev/null || true)
[ -n "$first" ] || exit 1
echo "$first"
