#!/usr/bin/env bash
# Writes build/seccomp/sandbox.json: this engine's default seccomp profile, hardened by
# services/executor/sandbox/seccomp.py. The default profile is taken from the Debian package of
# the same Docker release (golang-github-docker-docker-dev ships profiles/seccomp/default.json),
# downloaded, not installed. Regenerated only when the engine version changes.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=build/seccomp/sandbox.json
stamp=build/seccomp/engine-version
engine=$(dpkg-query -W -f='${Version}' docker.io 2>/dev/null || docker version --format '{{.Server.Version}}')
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$engine" ]; then
  exit 0
fi
echo "==> deriving the sandbox seccomp profile from Docker $engine's default"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq golang-github-docker-docker-dev >/dev/null 2>&1) || {
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  (cd "$work" && apt-get download -qq golang-github-docker-docker-dev >/dev/null)
}
dpkg-deb -x "$work"/golang-github-docker-docker-dev_*.deb "$work/pkg"
.venv/bin/python -m services.executor.sandbox.seccomp \
  "$work/pkg/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json" "$out"
echo "$engine" > "$stamp"
