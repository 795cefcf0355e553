# Setup hook of the crystal runtime: Crystal's object cache, filled by compiling a hello world at
# /work/main.cr (where a sandbox compiles the program: the cache is keyed by that path). Crystal
# splits a program into an LLVM module per type and reuses a module's object file when its bitcode
# is unchanged: the runtime's modules (start-up, GC, exceptions, standard streams), the same in
# every program, are then not compiled again (~0.5-1 s of a hello world's ~2.5 s here). Each
# compile copies the cache into its own sandbox (shared/languages/families/systems.py): the
# image's copy is read-only and nothing of one compile reaches another.
set -euo pipefail
CACHE=/opt/crh/crystal-cache
mkdir -p /work "$CACHE"
cd /work
printf 'puts "hello"\n' >main.cr
CRYSTAL_CACHE_DIR=$CACHE crystal build -o main ./main.cr
./main | grep -qx hello
rm -rf main main.cr main.dwarf
chmod -R a+rX "$CACHE"
