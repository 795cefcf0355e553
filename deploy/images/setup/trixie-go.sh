# Setup hook of the trixie-go runtime (run as root by runtime/Dockerfile after the packages).
# Since Go 1.20 the standard library ships uncompiled: every build compiles what it imports into
# the build cache, about 12 s for a hello world in a sandbox whose $HOME starts empty. So the whole
# standard library is compiled once here into a build cache that Go's own defaults ($GOROOT/go.env)
# point at. The sandbox only reads it (a read-only cache is fine: Go ignores failed writes), and
# GOCACHE set in the environment still takes precedence.
set -euo pipefail
cache=/opt/go-cache
GOCACHE=$cache go build std
chmod -R a+rX "$cache"
echo "GOCACHE=$cache" >>"$(go env GOROOT)/go.env"
# Fail the build, not the first sandbox, when the cache is not used by default.
[ "$(HOME=/nonexistent go env GOCACHE)" = "$cache" ]
