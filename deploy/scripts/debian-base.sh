# Sourced by the image build scripts: ensure_debian makes sure $DEBIAN_IMAGE exists, pulled when a
# registry answers, otherwise bootstrapped locally with mmdebstrap.
ensure_debian() {
  if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    return
  fi
  if timeout 60 docker pull "$DEBIAN_IMAGE" >/dev/null 2>&1; then
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
