#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io and starts
# dockerd when missing. Idempotent; used by `make run` and `make test`.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "==> installing the Docker engine (Debian docker.io)"
  # shellcheck source=apt.sh
  source "$(dirname "$0")/apt.sh"
  apt_install docker.io
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "==> starting dockerd (log: /var/log/coderunhub-dockerd.log)"
  setsid nohup dockerd >/var/log/coderunhub-dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not come up; see /var/log/coderunhub-dockerd.log" >&2
exit 1
