#!/usr/bin/env bash
# Debian's chromium, for the web app's browser tests (tests/web; Playwright drives /usr/bin/chromium,
# it never downloads a browser of its own), and curl and jq, which docs/quickstart.md's commands use
# (tests/e2e/test_suite.py runs them as written). Idempotent.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
command -v curl > /dev/null || missing+=(curl)
command -v jq > /dev/null || missing+=(jq)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "==> installing ${missing[*]} (Debian)"
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"
apt_install --no-install-recommends "${missing[@]}"
