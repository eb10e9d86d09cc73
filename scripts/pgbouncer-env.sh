#!/usr/bin/env bash
# PgBouncer for the scale-out test (`make cluster`): Debian's package, installed once when
# run as root (scripts/debian-package.sh). Prints the binary's path; PGBOUNCER overrides.
set -euo pipefail
if [ -n "${PGBOUNCER:-}" ]; then echo "$PGBOUNCER"; exit 0; fi
exec "$(dirname "$0")/debian-package.sh" pgbouncer pgbouncer
