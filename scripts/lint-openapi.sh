#!/usr/bin/env bash
# Lints the gateway's OpenAPI document (what GET /openapi.json serves, built by
# scripts/openapi.ts without starting any server) with Redocly's recommended rules
# (redocly.yaml). Errors fail; warnings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Also run outside npm (.ci/run): the project's node (24) and tools first.
PATH="$PWD/node_modules/.bin:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tsx --conditions=source scripts/openapi.ts >"$dir/openapi.json"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  redocly lint --config redocly.yaml "$dir/openapi.json"
