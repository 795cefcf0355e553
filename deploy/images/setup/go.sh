# Setup hook of the Go runtimes (bookworm's go, Go 1.19; trixie-go, Go 1.24, is a link to this
# file), run as root by runtime/Dockerfile after the packages.
set -euo pipefail
cache=/opt/go-cache
goroot=$(go env GOROOT)
extra=""
if [ -f "$goroot/go.env" ]; then
  # Since Go 1.20 the standard library ships uncompiled: every build compiles what it imports into
  # the build cache, about 12 s for a hello world in a sandbox whose $HOME starts empty. So the
  # whole standard library is compiled once here into a build cache that Go's own defaults
  # ($GOROOT/go.env, Go >= 1.21) point at. The sandbox only reads it (a read-only cache is fine:
  # Go ignores failed writes), and GOCACHE set in the environment still takes precedence. (Go 1.19
  # has its standard library compiled in GOROOT; its programs build with a cache in /tmp.)
  GOCACHE=$cache go build std
  echo "GOCACHE=$cache" >>"$goroot/go.env"
  extra="maps slices"
fi

# go vet (code analysis: shared/analysis/checkers.py) first analyses every package a program
# imports, for the facts its analyzers pass on: ~1.5 s for a program importing fmt, each time, as
# a sandbox's cache is empty or read-only. Those of the commonly used standard packages go into
# the cache here (Go 1.19's analysis points GOCACHE at it), computed in the environment the
# analysis runs in (the catalogue's compile environment, GOTOOLCHAIN=local, GOENV=off, GOFLAGS
# empty: other values key other entries): a vet then takes ~0.2 s.
packages="bufio bytes container/heap container/list encoding/json errors fmt io math math/big math/bits
  math/rand os regexp sort strconv strings sync sync/atomic time unicode unicode/utf8 $extra"
{
  echo 'package main'
  echo 'import ('
  for package in $packages; do echo "	_ \"$package\""; done
  echo ')'
  echo 'func main() {}'
} >/tmp/crh-vet-warm.go
(cd /tmp && env GOCACHE=$cache GOPATH=/tmp/go GO111MODULE=off CGO_ENABLED=0 GOTOOLCHAIN=local GOENV=off GOFLAGS= \
  go vet -json -- ./crh-vet-warm.go)
rm -rf /tmp/crh-vet-warm.go /tmp/go
chmod -R a+rX "$cache"

# Fail the build, not the first sandbox, when the cache is not used by default.
if [ -f "$goroot/go.env" ]; then
  [ "$(HOME=/nonexistent go env GOCACHE)" = "$cache" ]
fi
