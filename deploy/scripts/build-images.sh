#!/usr/bin/env bash
# Builds the sandbox images: the agent, then one runtime image per line of deploy/images/runtimes.conf
# (or only the runtimes named as arguments). An image whose inputs are unchanged is not rebuilt:
# each carries a label with the hash of its Dockerfile, packages and parent images.
# Without a registry, the Debian base image is bootstrapped locally with mmdebstrap.
set -euo pipefail
cd "$(dirname "$0")/../images"

PREFIX=${CRH_IMAGE_PREFIX:-coderunhub/runtime-}
AGENT_IMAGE=${CRH_AGENT_IMAGE:-coderunhub/sandbox-agent:latest}
TAG=${CRH_IMAGE_TAG:-latest}
DEBIAN_IMAGE=${CRH_DEBIAN_IMAGE:-debian:bookworm-slim}
JOBS=${CRH_IMAGE_JOBS:-3}
LOGDIR=${CRH_IMAGE_LOGDIR:-/tmp/coderunhub-image-logs}
mkdir -p "$LOGDIR"

# shellcheck source=debian-base.sh
source ../scripts/debian-base.sh

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# build IMAGE CONTEXT_DIR HASH_INPUT [docker build args...]
build() {
  local image=$1 context=$2 input=$3
  shift 3
  local hash current
  hash=$( (echo "$input"; cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)
  current=$(docker image inspect --format '{{index .Config.Labels "coderunhub.hash"}}' "$image" 2>/dev/null || true)
  if [ "$current" = "$hash" ]; then
    echo "==> $image is up to date"
    return 0
  fi
  local log="$LOGDIR/$(echo "$image" | tr '/:' '__').log"
  echo "==> building $image (log: $log)"
  if ! docker build "$@" --label "coderunhub.hash=$hash" -t "$image" "$context" >"$log" 2>&1; then
    echo "!! building $image failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}

build_runtime() {
  local name=$1 packages=$2
  local input
  input="$(image_id "$DEBIAN_IMAGE") $(image_id "$AGENT_IMAGE") $packages"
  build "${PREFIX}${name}:${TAG}" runtime "$input" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "AGENT_IMAGE=$AGENT_IMAGE" \
    --build-arg "PACKAGES=$packages" --label "coderunhub.runtime=$name"
}

ensure_debian
build "$AGENT_IMAGE" agent "$(image_id "$DEBIAN_IMAGE")" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE"

declare -A packages=()
order=()
while IFS= read -r line; do
  line=${line%%#*}
  [[ "$line" =~ ^[[:space:]]*$ ]] && continue
  name=${line%%:*}
  packages[$name]=$(echo "${line#*:}" | xargs)
  order+=("$name")
done < runtimes.conf
if [ $# -gt 0 ]; then
  order=("$@")
fi

export -f build build_runtime image_id
export PREFIX TAG LOGDIR DEBIAN_IMAGE AGENT_IMAGE
failed=0
for name in "${order[@]}"; do
  [ -n "${packages[$name]+set}" ] || { echo "unknown runtime $name" >&2; exit 2; }
  printf '%s\0%s\0' "$name" "${packages[$name]}"
done | xargs -0 -n 2 -P "$JOBS" bash -c 'build_runtime "$0" "$1"' || failed=1
# Layers of replaced images would otherwise pile up on every change.
docker image prune -f --filter label=coderunhub.hash >/dev/null 2>&1 || true
exit $failed
