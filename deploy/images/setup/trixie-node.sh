# Setup hook of the trixie-node runtime (run as root by runtime/Dockerfile after the packages):
# TypeScript 7 (the native compiler, `tsc`) and TypeScript 5 (`tsc5`) side by side, with the
# image's npm, at pinned versions.
set -euo pipefail
TS7=7.0.2
TS5=5.9.3

# TypeScript 7's tsc is a launcher for a Go binary shipped as an optional dependency per platform
# (@typescript/typescript-linux-x64 here): --include=optional so npm installs it.
npm install --global=false --no-audit --no-fund --include=optional --prefix /opt/typescript/7 "typescript@$TS7"
npm install --global=false --no-audit --no-fund --prefix /opt/typescript/5 "typescript@$TS5"
ln -sf /opt/typescript/7/node_modules/.bin/tsc /usr/local/bin/tsc
ln -sf /opt/typescript/5/node_modules/.bin/tsc /usr/local/bin/tsc5

# Fail the build, not the first sandbox, when either compiler does not run.
tsc --version | grep -qF "$TS7"
tsc5 --version | grep -qF "$TS5"

# TypeScript 5's zygote starts from a V8 start-up snapshot holding the compiler and its parsed
# library (files/tsc-zygote.js), read-only in the image: each sandbox deserializes it in a fraction
# of the ~2.5 s it took to load and warm tsc.
mkdir -p /opt/crh
node --snapshot-blob /opt/crh/tsc5.blob --build-snapshot /tmp/crh-setup/files/tsc-zygote.js \
  /opt/typescript/5/node_modules/typescript/lib/typescript.js
chmod 0644 /opt/crh/tsc5.blob
# The go message as the agent writes it on fd 3 (zygote.py): the snapshot answers as tsc does.
printf '1000\0%s\0tsc5\0--version\0' 1048576 >/tmp/tsc5-go
node --snapshot-blob /opt/crh/tsc5.blob 3</tmp/tsc5-go | grep -qF "$TS5"
rm /tmp/tsc5-go

npm cache clean --force
rm -rf /root/.npm
