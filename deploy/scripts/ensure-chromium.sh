#!/usr/bin/env bash
# Debian's chromium, for the web app's browser tests (tests/web; Playwright drives /usr/bin/chromium,
# it never downloads a browser of its own). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "==> installing chromium (Debian)"
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"
apt_install --no-install-recommends chromium fonts-dejavu-core
