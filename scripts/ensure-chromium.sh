#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (web/test): installs the
# `chromium` package with apt when the binary is missing. Never downloads a browser from
# anywhere else. Fails loudly when it cannot install (not root, no apt): the browser tests must
# not be skipped silently. Called by vitest's global set-up and by .ci/run.
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: no browser at $CHROMIUM; install Debian's chromium (apt-get install -y chromium) as root" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium fonts-liberation ||
  { apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation; }
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: apt installed no $CHROMIUM" >&2; exit 1; }
