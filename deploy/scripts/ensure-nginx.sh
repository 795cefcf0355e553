#!/usr/bin/env bash
# Debian's nginx, for the load-balancing tests (and a single-host deployment). Idempotent; the
# package's own default site is not started here (the tests run their own nginx processes).
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then
  exit 0
fi
echo "==> installing nginx (Debian)"
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"
apt_install nginx-light 2>/dev/null || apt_install nginx
