#!/usr/bin/env bash
# Debian's nginx, for the load-balancing tests (and a single-host deployment). Idempotent; the
# package's own default site is not started here (the tests run their own nginx processes).
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then
  exit 0
fi
echo "==> installing nginx (Debian)"
export DEBIAN_FRONTEND=noninteractive
# Keep the package's post-install from starting the default site on port 80.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq nginx-light >/dev/null 2>&1 || apt-get install -y -qq nginx >/dev/null
