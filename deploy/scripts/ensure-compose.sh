#!/usr/bin/env bash
# Makes sure `docker compose` (Compose v2) works on this machine, for docker-compose.yml and its
# test. Debian bookworm's docker-compose is 1.29 (Python), which does not know the file's syntax
# (`condition: service_completed_successfully`, `name:`); trixie's package is Compose v2, a static
# Go binary with no dependencies, so it is taken from trixie at a low pin priority (nothing else is).
# Idempotent; `make compose` runs it.
set -euo pipefail
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"

if docker compose version 2>/dev/null | grep -qE 'version v?2\.'; then
  exit 0
fi
# shellcheck disable=SC1091
. /etc/os-release
if [ "${ID:-}" = "ubuntu" ]; then
  # Ubuntu (22.04 and later) packages Compose v2 as docker-compose-v2.
  echo "==> installing Docker Compose v2 (Ubuntu's docker-compose-v2)"
  apt_install --no-install-recommends docker-compose-v2
  docker compose version
  exit 0
fi
if [ "${ID:-}" != "debian" ]; then
  echo "install the Docker Compose v2 plugin for ${PRETTY_NAME:-this system} (docs/deploy.md)" >&2
  exit 1
fi
echo "==> installing Docker Compose v2 (Debian trixie's docker-compose)"
echo "deb http://deb.debian.org/debian trixie main" > /etc/apt/sources.list.d/coderunhub-trixie.list
cat > /etc/apt/preferences.d/coderunhub-trixie-compose <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: docker-compose
Pin: release n=trixie
Pin-Priority: 990
PIN
# The package puts the plugin in /usr/libexec/docker/cli-plugins, where Debian's docker CLI looks.
apt_install --no-install-recommends docker-compose/trixie
docker compose version
