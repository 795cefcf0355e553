#!/usr/bin/env bash
# Builds the sandbox runtime images from deploy/images/, skipping any whose inputs are unchanged
# (each image carries a label with the hash of its Dockerfile directory and its parent image).
# Without a registry, the Debian base image is bootstrapped locally with mmdebstrap.
set -euo pipefail
cd "$(dirname "$0")/../images"

PREFIX=${CRH_IMAGE_PREFIX:-coderunhub/runtime-}
TAG=${CRH_IMAGE_TAG:-latest}
DEBIAN_IMAGE=${CRH_DEBIAN_IMAGE:-debian:bookworm-slim}
JOBS=${CRH_IMAGE_JOBS:-3}
LOGDIR=${CRH_IMAGE_LOGDIR:-/tmp/coderunhub-image-logs}
mkdir -p "$LOGDIR"

ensure_debian() {
  if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    return
  fi
  if docker pull "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    return
  fi
  echo "==> no registry: bootstrapping $DEBIAN_IMAGE with mmdebstrap"
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  mmdebstrap --quiet --variant=minbase bookworm - \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://security.debian.org/debian-security bookworm-security main" \
    | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
}

# build NAME PARENT_IMAGE BUILD_ARG
build() {
  local name=$1 parent=$2 arg=$3
  local image="${PREFIX}${name}:${TAG}"
  local parent_id
  parent_id=$(docker image inspect --format '{{.Id}}' "$parent")
  local hash
  hash=$( (echo "$parent_id"; cd "$name" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)
  local current
  current=$(docker image inspect --format '{{index .Config.Labels "coderunhub.hash"}}' "$image" 2>/dev/null || true)
  if [ "$current" = "$hash" ]; then
    echo "==> $image is up to date"
    return 0
  fi
  echo "==> building $image (log: $LOGDIR/$name.log)"
  if ! docker build --build-arg "$arg=$parent" --label "coderunhub.hash=$hash" \
      --label "coderunhub.runtime=$name" -t "$image" "$name" >"$LOGDIR/$name.log" 2>&1; then
    echo "!! building $image failed; last lines of $LOGDIR/$name.log:" >&2
    tail -n 30 "$LOGDIR/$name.log" >&2
    return 1
  fi
}

ensure_debian
build base "$DEBIAN_IMAGE" DEBIAN_IMAGE

names=()
for dir in */; do
  dir=${dir%/}
  [ "$dir" = base ] || names+=("$dir")
done
if [ $# -gt 0 ]; then
  names=("$@")
fi

export -f build
export PREFIX TAG LOGDIR
printf '%s\n' "${names[@]}" | xargs -P "$JOBS" -I{} bash -c "build {} '${PREFIX}base:${TAG}' BASE_IMAGE"
# Dangling layers from replaced images would otherwise pile up on every change.
docker image prune -f --filter label=coderunhub.hash >/dev/null 2>&1 || true
