#!/usr/bin/env bash
# The project's Python environment (.venv) from uv.lock, on a host that has nothing but python3:
#   1. an interpreter of 3.11 or newer: the host's python3 when it is new enough, otherwise the
#      newest python3.1x on PATH, otherwise the distribution's python3.11 (Ubuntu 22.04 ships 3.10 as
#      python3 and 3.11 beside it). No interpreter is downloaded from anywhere else.
#   2. uv, pinned, in a tools venv of the project's own (.tools/python), made with the interpreter's
#      venv module (Debian and Ubuntu split ensurepip into python3-venv, installed when missing), so
#      nothing is installed into the system's Python (PEP 668).
#   3. `uv sync --frozen` of the lock into .venv with that interpreter.
# Idempotent: each step is skipped when its result is already there. Used by `make venv`.
set -euo pipefail
cd "$(dirname "$0")/../.."

UV_VERSION=${UV_VERSION:?UV_VERSION is set by the Makefile}
TOOLS=.tools/python
MIN_MINOR=11

# shellcheck source=apt.sh
source deploy/scripts/apt.sh

# Prints the interpreter's minor version when it is a CPython 3.x, nothing otherwise.
minor_of() {
  "$1" -c 'import sys; print(sys.version_info[1] if sys.version_info[0] == 3 else "")' 2>/dev/null || true
}

find_python() {
  local candidate minor
  for candidate in ${CRH_PYTHON:-} python3 python3.14 python3.13 python3.12 python3.11; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    minor=$(minor_of "$candidate")
    if [ -n "$minor" ] && [ "$minor" -ge "$MIN_MINOR" ]; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if ! python=$(find_python); then
  echo "==> no Python 3.$MIN_MINOR or newer on PATH: installing the distribution's python3.11"
  apt_install python3.11 python3.11-venv
  python=$(find_python) || { echo "!! no Python 3.$MIN_MINOR or newer could be installed" >&2; exit 1; }
fi

# The tools venv follows the interpreter: remade when the host's python changed (an upgrade).
base_of() { "$1" -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))' 2>/dev/null; }
if [ -x "$TOOLS/bin/python" ] && [ "$(base_of "$TOOLS/bin/python")" != "$(base_of "$python")" ]; then
  rm -rf "$TOOLS"
fi
if ! "$TOOLS/bin/uv" --version 2>/dev/null | grep -q "^uv ${UV_VERSION}\( \|$\)"; then
  if [ ! -x "$TOOLS/bin/pip" ]; then
    rm -rf "$TOOLS"
    if ! "$python" -m venv "$TOOLS" >/dev/null 2>&1; then
      minor=$(minor_of "$python")
      echo "==> installing the venv module for $python (python3.$minor-venv)"
      apt_install "python3.$minor-venv"
      rm -rf "$TOOLS"
      "$python" -m venv "$TOOLS"
    fi
  fi
  echo "==> installing uv $UV_VERSION into $TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# Never fetch an interpreter: the one found above is the one the platform runs on. It is named by
# its own path (not a shim's, as pyenv's python3 is), or uv remakes .venv on every sync.
export UV_PYTHON_DOWNLOADS=never
python=$("$python" -c 'import sys; print(sys.executable)')
echo "==> syncing .venv from uv.lock with $python ($("$python" --version 2>&1))"
"$TOOLS/bin/uv" sync --frozen --python "$python"
