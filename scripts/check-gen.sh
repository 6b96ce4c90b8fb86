#!/usr/bin/env bash
# Fails when the committed gen/ is not exactly what `buf generate` makes from proto/ today.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node_modules/.bin/buf generate -o "$out"
if ! diff -r gen "$out/gen" >/dev/null; then
  diff -r gen "$out/gen" | head -20 >&2
  echo "gen/ is out of sync with proto/: run 'npm run proto' and commit gen/" >&2
  exit 1
fi
echo "gen/ is in sync with proto/"
