#!/usr/bin/env bash
# Builds the service images (gateway, auth, executor, migrate) from deploy/docker/Dockerfile.
# Dependencies are exported from uv.lock and built into wheels on this host first, so the image
# build itself needs no PyPI access (only Debian's mirror, for python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX=${CRH_SERVICE_IMAGE_PREFIX:-coderunhub/}
TAG=${CRH_IMAGE_TAG:-latest}
mkdir -p build/wheels
.tools/python/bin/uv export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt > build/wheels/requirements.txt
.venv/bin/python -m pip --version >/dev/null 2>&1 || .tools/python/bin/uv pip install --python .venv/bin/python pip
# Markers are dropped so that wheels exist for the image's interpreter too (Debian's 3.11.2
# needs async-timeout, which this host's newer 3.11 skips); pip in the image applies them again.
sed 's/ *;.*//' build/wheels/requirements.txt > build/wheels/all.txt
.venv/bin/python -m pip wheel --quiet --no-deps --wheel-dir build/wheels -r build/wheels/all.txt 2>&1 \
  | { grep -v "^WARNING: Location" || true; }

for target in gateway auth executor migrate; do
  echo "==> building ${PREFIX}${target}:${TAG}"
  docker build -q -f deploy/docker/Dockerfile --target "$target" -t "${PREFIX}${target}:${TAG}" . >/dev/null
done
