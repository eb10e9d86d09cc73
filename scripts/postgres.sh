#!/usr/bin/env bash
# The private PostgreSQL cluster `make run` uses: kept under .data/postgres between runs,
# listening on 127.0.0.1:${ORGPLANE_DEV_PG_PORT:-54329}.
#
#   scripts/postgres.sh start   # init if needed, start if stopped; prints DATABASE_URL=...
#   scripts/postgres.sh stop
#   scripts/postgres.sh check   # only checks that the PostgreSQL binaries are installed
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/postgres"
port=${ORGPLANE_DEV_PG_PORT:-54329}

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  cat >&2 <<'MSG'
PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed.
Install them, e.g. on Debian/Ubuntu:   apt-get install postgresql
or point PG_BIN at their directory, or set DATABASE_URL to an existing server.
MSG
  exit 1
}

bin=$(find_bin)
[ "${1:-}" = check ] && exit 0

# initdb refuses to run as root: run the cluster as the postgres user (else nobody).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    chown -R "$user:" "$root/.data/postgres" 2>/dev/null || true
    # From `/`: the postgres user may not be allowed into the current directory.
    (cd / && runuser -u "$user" -- "$@")
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    mkdir -p "$data"
    chmod 700 "$data"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
    fi
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='orgplane'" postgres | grep -q 1; then
      "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres orgplane
    fi
    echo "DATABASE_URL=postgres://postgres@127.0.0.1:$port/orgplane"
    ;;
  stop)
    [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast stop || true
    ;;
  *)
    echo "usage: $0 start|stop|check" >&2
    exit 2
    ;;
esac
