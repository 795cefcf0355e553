#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io and starts
# dockerd when missing, and registers gVisor's runsc as the runtime "runsc" (runtimeArgs
# --network=none) so executors may run sandboxes under it (CRH_EXECUTOR_RUNTIME=runsc).
# Idempotent; used by `make run` and `make test`.
set -euo pipefail
# shellcheck source=apt.sh
source "$(dirname "$0")/apt.sh"

DAEMON_JSON=/etc/docker/daemon.json
RUNSC=/usr/bin/runsc

# gVisor: Debian's runsc from trixie (its 2024 build; bookworm's 2022 build cannot mount inside a
# user namespace, which each execution's cell needs). runsc is a static binary without
# dependencies: trixie is added at a low pin priority, so nothing else is taken from it.
ensure_runsc() {
  if [ -x "$RUNSC" ] && "$RUNSC" --version 2>/dev/null | grep -qE 'version 0\.0~20(2[4-9]|[3-9][0-9])'; then
    return 0
  fi
  # shellcheck disable=SC1091
  . /etc/os-release
  if [ "${ID:-}" != "debian" ]; then
    echo "==> gVisor: no Debian runsc package on ${PRETTY_NAME:-this system}; the runsc runtime stays unavailable"
    return 0
  fi
  echo "==> installing gVisor (Debian trixie's runsc)"
  echo "deb http://deb.debian.org/debian trixie main" > /etc/apt/sources.list.d/coderunhub-trixie.list
  cat > /etc/apt/preferences.d/coderunhub-trixie <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: runsc
Pin: release n=trixie
Pin-Priority: 990
EOF
  _APT_UPDATED=0
  apt_install runsc
}

# Adds the runsc runtime to daemon.json (keeping whatever else is there); prints "changed" if it did.
register_runsc() {
  [ -x "$RUNSC" ] || return 0
  mkdir -p "$(dirname "$DAEMON_JSON")"
  python3 - "$DAEMON_JSON" "$RUNSC" <<'EOF'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
wanted = {"path": runsc, "runtimeArgs": ["--network=none"]}
if config.get("runtimes", {}).get("runsc") != wanted:
    config.setdefault("runtimes", {})["runsc"] = wanted
    with open(path + ".tmp", "w") as out:
        json.dump(config, out, indent=2)
    os.replace(path + ".tmp", path)
    print("changed")
EOF
}

# pgrep (procps) finds a running dockerd; minimal images and some cloud images lack it.
command -v pgrep >/dev/null 2>&1 || apt_install procps
if ! command -v dockerd >/dev/null 2>&1; then
  echo "==> installing the Docker engine (the distribution's docker.io)"
  apt_install docker.io
fi
ensure_runsc
changed=$(register_runsc)
if pgrep -x dockerd >/dev/null 2>&1; then
  if [ -n "$changed" ]; then
    # dockerd reloads its runtimes on SIGHUP, without touching running containers.
    echo "==> registering the runsc runtime with dockerd"
    kill -HUP "$(pgrep -x dockerd)"
    sleep 1
  fi
else
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
