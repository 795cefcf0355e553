#!/usr/bin/env bash
# The third-party images docker-compose.yml runs (PostgreSQL, Redis, nginx, the Docker socket
# proxy): pulled when a registry answers, otherwise built under the same names from the local
# Debian base image (deploy/compose-images/*, stand-ins keeping the official images' contract).
# Idempotent: an image that exists is kept, unless it is one of these stand-ins and its inputs
# changed (each carries a label with the hash of its directory and base image).
set -euo pipefail
cd "$(dirname "$0")/../compose-images"
# shellcheck source=debian-base.sh
source ../scripts/debian-base.sh

DEBIAN_IMAGE=${CRH_DEBIAN_IMAGE:-debian:bookworm-slim}
LOGDIR=${CRH_IMAGE_LOGDIR:-/tmp/coderunhub-image-logs}
mkdir -p "$LOGDIR"
# image name (as docker-compose.yml spells it) -> stand-in directory
declare -A standins=(
  [postgres:15-bookworm]=postgres
  [redis:7-bookworm]=redis
  [nginx:1.27-bookworm]=nginx
  [tecnativa/docker-socket-proxy:0.3]=docker-socket-proxy
)

for image in "${!standins[@]}"; do
  dir=${standins[$image]}
  if docker image inspect "$image" >/dev/null 2>&1; then
    current=$(docker image inspect --format '{{index .Config.Labels "coderunhub.hash"}}' "$image")
    # Not a stand-in (pulled from a registry): keep it.
    [ -n "$current" ] || continue
  elif timeout 60 docker pull "$image" >/dev/null 2>&1; then
    continue
  else
    current=
  fi
  ensure_debian
  hash=$( (docker image inspect --format '{{.Id}}' "$DEBIAN_IMAGE"; cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)
  if [ "$current" = "$hash" ]; then
    continue
  fi
  log="$LOGDIR/compose-$dir.log"
  echo "==> building $image from deploy/compose-images/$dir (log: $log)"
  if ! docker build --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --label "coderunhub.hash=$hash" -t "$image" "$dir" >"$log" 2>&1; then
    echo "!! building $image failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
done
