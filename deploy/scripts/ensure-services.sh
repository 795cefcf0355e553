#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust for user postgres) and Redis (127.0.0.1:6379) answer
# on this machine: installs Debian's packages and starts the servers when they are missing or down.
# Idempotent; used by `make run`, `make test` and `make bench`. A server that a previous run
# stopped or restarted (the fault tests restart both) may not have outlived it, so this is checked
# on every run rather than assumed.
set -euo pipefail

# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"

wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "$what did not come up" >&2
  return 1
}

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "==> installing Redis (Debian)"
  apt_install redis-server
fi
if ! redis_up; then
  echo "==> starting Redis on 127.0.0.1:6379 (nothing kept on disk; log: /var/log/redis/coderunhub.log)"
  install -d -o root /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/coderunhub.log
  wait_for Redis redis_up
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> installing PostgreSQL (Debian)"
  apt_install postgresql
fi
if ! pg_up; then
  if [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    echo "==> creating a PostgreSQL $version cluster on 127.0.0.1:5432 (trust for local connections)"
    pg_createcluster --port 5432 "$version" main -- --auth-local=trust --auth-host=trust >/dev/null
  fi
  read -r version name _ < <(pg_lsclusters --no-header | head -1)
  echo "==> starting PostgreSQL $version/$name"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
  wait_for PostgreSQL pg_up
fi
