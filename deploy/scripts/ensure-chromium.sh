#!/usr/bin/env bash
# Chromium for the web app's browser tests (tests/web; Playwright drives it, it never downloads a
# browser of its own), and curl and jq, which docs/quickstart.md's commands use (tests/e2e/test_suite.py
# runs them as written). Debian packages chromium as /usr/bin/chromium; Ubuntu ships it only as a
# snap (/snap/bin/chromium; its apt package is a stub that installs the snap). Idempotent.
set -euo pipefail
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
# shellcheck disable=SC1091
. /etc/os-release
if [ ! -x /usr/bin/chromium ] && [ ! -x /snap/bin/chromium ]; then
  if [ "${ID:-}" = ubuntu ]; then
    if ! command -v snap >/dev/null; then
      echo "!! Ubuntu has chromium only as a snap, and snapd is not here: install snapd, then make test again" >&2
      exit 1
    fi
    echo "==> installing chromium (Ubuntu's snap)"
    snap install chromium
    missing+=(fonts-dejavu-core)
  else
    missing+=(chromium fonts-dejavu-core)
  fi
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "==> installing ${missing[*]} (the distribution's)"
apt_install --no-install-recommends "${missing[@]}"
