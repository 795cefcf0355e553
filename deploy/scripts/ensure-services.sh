#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust for user postgres) and Redis (127.0.0.1:6379) answer
# on this machine: installs Debian's packages and starts the servers when they are missing or down.
# Idempotent; used by `make run`, `make test` and `make bench`. A server that stopped (a reboot, a
# crash) is started again, so this is checked on every run rather than assumed. CRH_REDIS_PORT and CRH_POSTGRES_PORT name other ports (the
# tests use them for servers of their own).
set -euo pipefail

redis_port=${CRH_REDIS_PORT:-6379}
pg_port=${CRH_POSTGRES_PORT:-5432}

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

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "==> installing Redis (the distribution's)"
  apt_install redis-server
fi
if ! redis_up; then
  log=/var/log/redis/coderunhub.log
  [ "$redis_port" = 6379 ] || log=/var/log/redis/coderunhub-$redis_port.log
  echo "==> starting Redis on 127.0.0.1:$redis_port (nothing kept on disk; log: $log)"
  install -d -o root /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile "$log"
  wait_for Redis redis_up
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p "$pg_port"; }

installed_pg=0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> installing PostgreSQL (the distribution's)"
  apt_install postgresql
  installed_pg=1
fi
if ! pg_up; then
  # The cluster configured for that port (the first one made, when there is none).
  cluster() { pg_lsclusters --no-header 2>/dev/null | awk -v port="$pg_port" '$3 == port { print $1, $2; exit }'; }
  if [ "$installed_pg" = 1 ] && [ -n "$(cluster)" ]; then
    # The package's own empty cluster asks for passwords over TCP (scram-sha-256), which the
    # platform's default URL (user postgres, no password, 127.0.0.1) cannot give: it is made again
    # trusting local connections, as below. It holds nothing yet.
    read -r version name < <(cluster)
    pg_dropcluster --stop "$version" "$name"
  fi
  if [ -z "$(cluster)" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    echo "==> creating a PostgreSQL $version cluster on 127.0.0.1:$pg_port (trust for local connections)"
    pg_createcluster --port "$pg_port" "$version" main -- --auth-local=trust --auth-host=trust >/dev/null
  fi
  read -r version name < <(cluster)
  echo "==> starting PostgreSQL $version/$name"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
  wait_for PostgreSQL pg_up
fi
