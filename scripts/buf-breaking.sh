#!/usr/bin/env bash
# Fails when proto/ breaks the contracts of the previous commit on main (buf breaking, FILE rules).
# The previous commit's protos are built against today's node_modules (google/api and friends live
# there, not in git). A shallow CI clone is deepened rather than skipped; the check is skipped only
# when no earlier commit has protos.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf

if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --deepen=50 origin || true
fi
base=${BREAKING_BASE:-$(git rev-parse --verify --quiet HEAD~1 || true)}
if [ -z "$base" ] || [ -z "$(git ls-tree -r --name-only "$base" -- proto | grep '\.proto$' || true)" ]; then
  echo "buf breaking: skipped, no earlier commit has protos"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive "$base" -- proto buf.yaml | tar -x -C "$work"
ln -s "$PWD/node_modules" "$work/node_modules"
(cd "$work" && "$OLDPWD/$buf" build proto -o "$work/base.binpb")
"$buf" breaking proto --against "$work/base.binpb"
echo "buf breaking: proto/ is compatible with $(git rev-parse --short "$base")"
