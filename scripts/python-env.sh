#!/usr/bin/env bash
# The Python environment the tests use (PostGrid's official client, schemathesis), in
# target/python-env: made once, reused after; prints the interpreter's path.
# Needs python3 with venv and pip, and PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env="$root/target/python-env"
requirements="$root/tests/clients/requirements.txt"
stamp="$env/.installed"
if [ ! -x "$env/bin/python" ]; then
  python3 -m venv "$env" >&2 || {
    echo "python-env: python3 -m venv failed; install python3 with venv (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ]; then
  "$env/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 || {
    echo "python-env: pip could not install $requirements (is PyPI reachable?)" >&2
    exit 1
  }
  touch "$stamp"
fi
echo "$env/bin/python"
