#!/usr/bin/env bash
# Builds the sandbox images: the agent (once, on bookworm), then one runtime image per line of
# deploy/images/runtimes.conf (or only the runtimes named as arguments), each FROM its Debian suite's
# base image and with its setup hook deploy/images/setup/<name>.sh when there is one. An image whose
# inputs are unchanged is not rebuilt: each carries a label with the hash of its Dockerfile, setup
# hook, packages and parent images. Without a registry, the Debian base images are bootstrapped
# locally with mmdebstrap. CRH_IMAGE_REBUILD=1 rebuilds every image named, without Docker's layer
# cache (to take Debian's updates, or to time a build from the base images alone).
set -euo pipefail
cd "$(dirname "$0")/../images"

PREFIX=${CRH_IMAGE_PREFIX:-coderunhub/runtime-}
AGENT_IMAGE=${CRH_AGENT_IMAGE:-coderunhub/sandbox-agent:latest}
TAG=${CRH_IMAGE_TAG:-latest}
JOBS=${CRH_IMAGE_JOBS:-3}
REBUILD=${CRH_IMAGE_REBUILD:-}
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
  # extra-ca.crt (see build_runtime) is the build machine's, not the image's: not hashed.
  hash=$( (echo "$input"; cd "$context" && find . -type f ! -name extra-ca.crt -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32)
  current=$(docker image inspect --format '{{index .Config.Labels "coderunhub.hash"}}' "$image" 2>/dev/null || true)
  if [ "$current" = "$hash" ] && [ -z "$REBUILD" ]; then
    echo "==> $image is up to date"
    return 0
  fi
  [ -z "$REBUILD" ] || set -- --no-cache "$@"
  local log="$LOGDIR/$(echo "$image" | tr '/:' '__').log"
  local start=$SECONDS
  echo "==> building $image (log: $log)"
  if ! docker build --force-rm "$@" --label "coderunhub.hash=$hash" -t "$image" "$context" >"$log" 2>&1; then
    echo "!! building $image failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  echo "==> built $image in $((SECONDS - start)) s"
}

# build_runtime NAME SUITE PACKAGES: the legacy builder has no named contexts, so each runtime is
# built from a temporary context holding runtime/Dockerfile and its setup hook as setup.sh (empty
# when it has none), with the files of setup/<name>.d/ beside it in files/ (the hook finds them
# in /tmp/crh-setup/files). A hook that downloads (npm) gets the CAs the build machine adds to its own
# trust (NODE_EXTRA_CA_CERTS, as behind a TLS-inspecting proxy) for the build only.
build_runtime() {
  local name=$1 suite=$2 packages=$3
  local base input context status=0
  base=$(debian_image "$suite")
  input="$(image_id "$base") $(image_id "$AGENT_IMAGE") $packages"
  context=$(mktemp -d "${TMPDIR:-/tmp}/crh-runtime-$name.XXXXXX")
  cp runtime/Dockerfile "$context/Dockerfile"
  # The Dockerfile stays out of the files the setup step copies: editing its last steps (the agent's
  # files) then re-runs none of the setup hooks.
  printf 'Dockerfile\n.dockerignore\n' >"$context/.dockerignore"
  if [ -f "setup/$name.sh" ]; then
    cp "setup/$name.sh" "$context/setup.sh"
    [ ! -d "setup/$name.d" ] || cp -r "setup/$name.d" "$context/files"
    if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
      cp "$NODE_EXTRA_CA_CERTS" "$context/extra-ca.crt"
    fi
  else
    : >"$context/setup.sh"
  fi
  build "${PREFIX}${name}:${TAG}" "$context" "$input" \
    --build-arg "DEBIAN_IMAGE=$base" --build-arg "AGENT_IMAGE=$AGENT_IMAGE" \
    --build-arg "PACKAGES=$packages" --label "coderunhub.runtime=$name" \
    --label "coderunhub.suite=$suite" || status=$?
  rm -rf "$context"
  return $status
}

# runtimes.conf: "name: packages" (bookworm) or "name suite: packages".
declare -A packages=() suites=()
order=()
while IFS= read -r line; do
  line=${line%%#*}
  [[ "$line" =~ ^[[:space:]]*$ ]] && continue
  read -r name suite rest <<<"${line%%:*}"
  if [ -n "$rest" ] || [[ "$line" != *:* ]]; then
    echo "runtimes.conf: cannot read: $line" >&2
    exit 2
  fi
  packages[$name]=$(echo "${line#*:}" | xargs)
  suites[$name]=${suite:-bookworm}
  order+=("$name")
done < runtimes.conf
if [ $# -gt 0 ]; then
  order=("$@")
fi
for name in "${order[@]}"; do
  [ -n "${packages[$name]+set}" ] || { echo "unknown runtime $name" >&2; exit 2; }
done

# Base images first (not in parallel): the agent's bookworm, then every suite the runtimes use.
ensure_debian bookworm
BOOKWORM_IMAGE=$(debian_image bookworm)
build "$AGENT_IMAGE" agent "$(image_id "$BOOKWORM_IMAGE")" --build-arg "DEBIAN_IMAGE=$BOOKWORM_IMAGE"
for suite in $(for name in "${order[@]}"; do echo "${suites[$name]}"; done | sort -u); do
  ensure_debian "$suite"
done

export -f build build_runtime image_id debian_image
export PREFIX TAG LOGDIR AGENT_IMAGE REBUILD
failed=0
for name in "${order[@]}"; do
  printf '%s\0%s\0%s\0' "$name" "${suites[$name]}" "${packages[$name]}"
done | xargs -0 -n 3 -P "$JOBS" bash -c 'build_runtime "$0" "$1" "$2"' || failed=1
# Layers of replaced images would otherwise pile up on every change.
docker image prune -f --filter label=coderunhub.hash >/dev/null 2>&1 || true
exit $failed
