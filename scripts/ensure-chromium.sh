#!/usr/bin/env bash
# `make test` needs Chromium at /usr/bin/chromium (the browser tests drive it through
# Playwright, tests/test_pages_browser.py). Present: nothing to do. Missing: installed with
# apt-get as root (or through password-less sudo), as .ci/run does; otherwise stop with one
# line saying what to install. Never a silent skip: without it the suite would not pass.
set -euo pipefail
CHROMIUM="${PULSE_CHROMIUM:-/usr/bin/chromium}"

[ -x "$CHROMIUM" ] && exit 0

as_root=()
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
fi
if [ "${as_root[*]-}" != "none" ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: the browser tests need Chromium; installing it (apt-get install chromium)..." >&2
  if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  then
    [ -x "$CHROMIUM" ] && exit 0
  fi
  echo "make test: could not install Chromium at $CHROMIUM with apt-get; install it" \
    "(apt-get install chromium) and run make test again." >&2
  exit 1
fi
echo "make test: the browser tests need Chromium at $CHROMIUM; install it as root" \
  "(apt-get install chromium on Debian) and run make test again." >&2
exit 1
