# Sourced by the image build scripts. debian_image SUITE names the base image of a Debian suite
# (bookworm or trixie): debian:SUITE-slim, or ${CRH_DEBIAN_IMAGE} for bookworm when set.
# ensure_debian [SUITE] (default bookworm) makes sure that image exists, pulled when a registry
# answers, otherwise bootstrapped locally with mmdebstrap from the suite, its -updates and -security.
debian_image() {
  case $1 in
    bookworm) echo "${CRH_DEBIAN_IMAGE:-debian:bookworm-slim}" ;;
    *) echo "debian:$1-slim" ;;
  esac
}

ensure_debian() {
  local suite=${1:-bookworm} image
  image=$(debian_image "$suite")
  if docker image inspect "$image" >/dev/null 2>&1; then
    return
  fi
  if timeout 60 docker pull "$image" >/dev/null 2>&1; then
    return
  fi
  echo "==> no registry: bootstrapping $image with mmdebstrap"
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  mmdebstrap --quiet --variant=minbase "$suite" - \
    "deb http://deb.debian.org/debian $suite main" \
    "deb http://deb.debian.org/debian $suite-updates main" \
    "deb http://security.debian.org/debian-security $suite-security main" \
    | docker import --change 'CMD ["bash"]' - "$image" >/dev/null \
    || { docker rmi -f "$image" >/dev/null 2>&1; echo "!! bootstrapping $image failed" >&2; return 1; }
}
