#!/usr/bin/env bash
# The hexagonal rule, checked: the domain and ports crates never depend (even
# transitively) on a web framework, a database driver or an async runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in orgplane-domain orgplane-ports; do
  bad=$(cargo tree --quiet --locked -p "$crate" -e normal --prefix none \
    | grep -E '^(actix[a-z_-]*|diesel[a-z_-]*|r2d2[a-z_-]*|tokio[a-z_-]*|pq-sys|argon2|config|sqlx[a-z_-]*) ' || true)
  if [ -n "$bad" ]; then
    echo "layering violation: $crate depends on:" >&2
    echo "$bad" >&2
    status=1
  fi
done
[ $status = 0 ] && echo "layering: domain and ports are free of adapters"
exit $status
