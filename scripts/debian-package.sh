#!/usr/bin/env bash
# Makes sure Debian's package PACKAGE is installed, providing COMMAND: with apt-get when
# run as root (once; later runs find it), otherwise it says what to install and fails.
# Prints the command's path. Used by the test tooling's own scripts.
set -euo pipefail
command=$1 package=$2
say() { echo "debian-package: $*" >&2; }
found() { command -v "$command" 2>/dev/null || { [ -x "/usr/sbin/$command" ] && echo "/usr/sbin/$command"; }; }
if ! found >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's $package: apt-get install $package (once)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; } >&2 || {
      say "apt-get could not install $package (are Debian's package mirrors reachable?)"
      exit 1
    }
  else
    say "$command is missing: install Debian's package (sudo apt-get install $package)"
    exit 1
  fi
fi
found
