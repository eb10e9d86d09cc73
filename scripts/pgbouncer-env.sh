#!/usr/bin/env bash
# PgBouncer for the scale-out test (`make cluster`): Debian's package, installed once with
# apt-get when run as root; otherwise it says what to install. Prints the binary's path.
set -euo pipefail
say() { echo "pgbouncer-env: $*" >&2; }
bin=${PGBOUNCER:-$(command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true)}
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's pgbouncer: apt-get install pgbouncer (once)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; } >&2 || {
      say "apt-get could not install pgbouncer (are Debian's package mirrors reachable?)"
      exit 1
    }
    bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  else
    say "pgbouncer is missing: install Debian's package (sudo apt-get install pgbouncer) or set PGBOUNCER"
    exit 1
  fi
fi
echo "$bin"
