#!/usr/bin/env bash
# Create the virtualenv the Makefile uses: scripts/make-venv.sh PYTHON VENV.
# Pulse needs Python 3.11+; Debian's python3 leaves venv's pip bootstrap out (package
# python3.X-venv): installed with apt-get when root, otherwise one line saying what to install.
set -euo pipefail
PYTHON="${1:-python3}"
VENV="${2:-.venv}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "make: $PYTHON not found; Pulse needs Python 3.11 or newer (make PYTHON=python3.12 …)." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "make: Pulse needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)" \
    "(make PYTHON=python3.12 …)." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  package="python$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "make: installing $package (Python's venv, which Debian ships separately)..." >&2
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null; }; then
      echo "make: could not install $package; install it and run make again." >&2
      exit 1
    fi
  else
    echo "make: Python's venv module is missing; install it (apt-get install $package as root)" \
      "and run make again." >&2
    exit 1
  fi
fi
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
