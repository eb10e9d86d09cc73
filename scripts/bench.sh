#!/usr/bin/env bash
# `make bench`: measures Orgplane's read paths, event ingestion and memory against floors
# measured in the same run (wrk on /healthz, pgbench on the same SQL), on a throwaway
# PostgreSQL cluster. Results: bench-results/<timestamp>.json and bench-results/latest.json.
#
#   scripts/bench.sh [--quick] [--duration SECS] [--pool N] [--workers N] [--only NAME,...]
#   BENCH_SKIP_BUILD=1 scripts/bench.sh ...   # use target/release/orgplane as it is
#
# This wrapper only checks the tools (installing wrk if it is missing) and builds the
# release binary; scripts/bench/bench.py does the work.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { echo "bench: $*" >&2; }

# wrk drives the HTTP load. It is one small Debian package, so install it when missing.
if ! command -v wrk >/dev/null 2>&1; then
  say "wrk is not installed; installing it: apt-get update && apt-get install -y wrk"
  if [ "$(id -u)" = 0 ]; then
    apt-get update && apt-get install -y wrk
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update && sudo apt-get install -y wrk
  else
    say "cannot install wrk without root; run: apt-get update && apt-get install -y wrk"
    exit 1
  fi
  command -v wrk >/dev/null 2>&1 || { say "wrk is still missing after apt-get"; exit 1; }
fi

# The PostgreSQL server binaries (initdb, pg_ctl, postgres; pg_stat_statements ships with
# them) and pgbench. Same lookup as scripts/postgres.sh: PG_BIN, else the newest
# /usr/lib/postgresql/*/bin, else PATH.
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
missing=()
for tool in initdb pg_ctl postgres psql pgbench; do
  if [ -n "$pg_bin" ] && [ -x "$pg_bin/$tool" ]; then continue; fi
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "missing PostgreSQL tools: ${missing[*]}"
  say "install them (Debian/Ubuntu): apt-get install -y postgresql-15 postgresql-client-15"
  say "  (postgresql-15: initdb, pg_ctl, postgres, pg_stat_statements; postgresql-client-15: psql, pgbench)"
  say "or point PG_BIN at the directory that holds them"
  exit 1
fi
export PG_BIN="$pg_bin"

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "python3 (3.11 or newer) is required"
  exit 1
fi

if [ "${BENCH_SKIP_BUILD:-}" = 1 ]; then
  say "BENCH_SKIP_BUILD=1: using target/release/orgplane as it is"
else
  say "building the release binary: cargo build --release --locked -p orgplane-app"
  ${CARGO:-cargo} build --release --locked -p orgplane-app
fi
[ -x target/release/orgplane ] || { say "target/release/orgplane is missing (build it, or unset BENCH_SKIP_BUILD)"; exit 1; }

exec python3 scripts/bench/bench.py "$@"
