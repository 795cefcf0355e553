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

npm cache clean --force
rm -rf /root/.npm
