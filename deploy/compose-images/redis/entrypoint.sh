#!/usr/bin/env bash
# The official redis image's start-up: options only means redis-server; the server steps down to
# user redis; without a config file protected mode is off (the container network is the boundary,
# and other containers must reach it).
set -euo pipefail

if [ "${1:0:1}" = "-" ]; then
  set -- redis-server "$@"
fi
if [ "${1:-}" = "redis-server" ]; then
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis .
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
  fi
  if [ "${2:-}" = "" ] || [ "${2:0:1}" = "-" ]; then
    set -- redis-server --protected-mode no --bind '* -::*' "${@:2}"
  fi
fi
exec "$@"
