# shellcheck shell=bash
# Sourced by the ensure-*.sh scripts: Debian and Ubuntu packages installed quietly, the package
# index refreshed once per script, and no package's post-install starting its service (there is no
# init here to manage it; each script starts what it needs itself).
export DEBIAN_FRONTEND=noninteractive
_APT_UPDATED=0

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "!! apt-get not found: the set-up scripts support Debian 12/13 and Ubuntu 22.04/24.04;" \
      "install $* with this system's package manager" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "!! installing $* needs root: run make as root (sudo make ...)" >&2
    return 1
  fi
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if [ "$_APT_UPDATED" = 0 ]; then
    apt-get update -qq
    _APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}
