#!/usr/bin/env bash
# What the dashboard's browser test needs, installed once and reused after:
#   - Debian's chromium (scripts/debian-package.sh: apt-get when run as root, otherwise it
#     says what to install);
#   - playwright-core, pinned by tests/browser/package-lock.json, in target/browser-env
#     (no browser download: it drives the system chromium).
# Prints two lines: the chromium executable, then the node_modules directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env="$root/target/browser-env"
say() { echo "browser-env: $*" >&2; }

chromium=${CHROMIUM:-$("$root/scripts/debian-package.sh" chromium chromium)}

command -v npm >/dev/null || { say "npm is missing: install Node.js 20 or later with npm (Debian: apt-get install nodejs npm)"; exit 1; }
mkdir -p "$env"
stamp="$env/.installed"
lock="$root/tests/browser/package-lock.json"
if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
  cp "$root/tests/browser/package.json" "$lock" "$env/"
  (cd "$env" && npm ci --no-audit --no-fund --silent) >&2 || {
    say "npm ci could not install playwright-core (is the npm registry reachable?)"
    exit 1
  }
  cp "$lock" "$stamp"
fi
echo "$chromium"
echo "$env/node_modules"
