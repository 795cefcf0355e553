# Setup hook of the analysis runtime (run as root by runtime/Dockerfile after the packages): the
# analysers Debian does not package, from PyPI into a virtualenv of their own and from npm into a
# prefix of their own, at the versions shared/analysis/tools.py pins
# (tests/unit/test_analysis_tools.py keeps the two in step), with lizard's own dependencies pinned too.
set -euo pipefail
RUFF=0.17.6
LIZARD=1.24.3
PRETTIER=3.10.2
# Debian's packages (runtimes.conf), checked: shared/analysis/tools.py names these versions.
SHELLCHECK=0.10.0
MYPY=1.15.0
CLANG_FORMAT=19.1.7
VENV=/opt/crh/analysis
PRETTIER_PREFIX=/opt/crh/prettier

python3 -m venv "$VENV"
# Behind a TLS-inspecting proxy the build machine trusts an extra CA (build-images.sh passes it
# as extra-ca.crt): pip gets its own bundle plus that one, for the build only.
if [ -f /tmp/crh-setup/extra-ca.crt ]; then
  bundle=$(find "$VENV" -path '*pip/_vendor/certifi/cacert.pem' | head -n1)
  cat "$bundle" /tmp/crh-setup/extra-ca.crt >/tmp/crh-ca.pem
  export PIP_CERT=/tmp/crh-ca.pem
fi
"$VENV/bin/pip" install --no-cache-dir --disable-pip-version-check --no-input --only-binary=:all: \
  "ruff==$RUFF" "lizard==$LIZARD" pathspec==1.1.1 pygments==2.21.0
rm -f /tmp/crh-ca.pem
# pip and its certificates are not needed at run time: the sandbox has no network anyway.
"$VENV/bin/pip" uninstall --yes --disable-pip-version-check pip >/dev/null
chmod -R a+rX "$VENV"

# prettier has no dependencies; --ignore-scripts: nothing of the package runs at install time.
npm install --global=false --no-audit --no-fund --ignore-scripts --prefix "$PRETTIER_PREFIX" "prettier@$PRETTIER"
npm cache clean --force
rm -rf /root/.npm
chmod -R a+rX "$PRETTIER_PREFIX"

# Fail the build, not the first analysis, when a tool does not run or is another version.
"$VENV/bin/ruff" --version | grep -qxF "ruff $RUFF"
"$VENV/bin/lizard" --version | grep -qxF "$LIZARD"
shellcheck --version | grep -qxF "version: $SHELLCHECK"
mypy --version | grep -qF "mypy $MYPY "
clang-format --version | grep -qF "clang-format version $CLANG_FORMAT"
"$PRETTIER_PREFIX/node_modules/.bin/prettier" --version | grep -qxF "$PRETTIER"
# A lint and a format that must come out exactly so.
printf 'import os\n' >/tmp/crh-check.py
"$VENV/bin/ruff" check --isolated --no-cache --exit-zero --output-format json -- /tmp/crh-check.py | grep -qF '"F401"' || {
  echo "ruff check did not report F401" >&2
  exit 1
}
printf "x = {  'a':1 }\n" | "$VENV/bin/ruff" format --isolated --no-cache - | grep -qxF 'x = {"a": 1}'
rm -f /tmp/crh-check.py
# mypy's JSON output (-O json, mypy >= 1.11), prettier and clang-format with the options the
# executor gives them.
printf 'x: int = "a"\n' >/tmp/crh-check.py
# (mypy exits 1 when it found errors.)
reported=$(mypy -O json --config-file= --cache-dir=/dev/null --no-error-summary -- /tmp/crh-check.py || true)
grep -qF '"code": "assignment"' <<<"$reported" || {
  echo "mypy did not report an assignment error as JSON: $reported" >&2
  exit 1
}
rm -f /tmp/crh-check.py

# mypy's cache of the standard library's stubs, per Python version of the catalogue (PyPy: 3.11),
# built with exactly the options the executor runs mypy with (MYPY_OPTIONS in
# shared/analysis/checkers.py; a cache built with others is not used) and read-only at run time
# (mypy ignores failed writes): a check then takes ~0.25 s of CPU instead of ~1 s.
MYPY_CACHE=/opt/crh/mypy-cache
printf 'import %s\n' abc argparse array asyncio bisect collections contextlib copy dataclasses datetime \
  decimal enum fractions functools heapq io itertools json math operator os pathlib random re statistics \
  string subprocess sys textwrap threading time typing unittest >/tmp/crh-warm.py
for version in 3.13 3.11; do
  mypy -O json --config-file= --ignore-missing-imports --no-error-summary --cache-dir="$MYPY_CACHE/$version" \
    --python-version "$version" -- /tmp/crh-warm.py
done
chmod -R a+rX "$MYPY_CACHE"
rm -f /tmp/crh-warm.py

printf 'const a = {b:1}\n' >/tmp/crh-check.ts
"$PRETTIER_PREFIX/node_modules/.bin/prettier" --no-config --no-editorconfig -- /tmp/crh-check.ts | grep -qxF 'const a = { b: 1 };'
printf 'int main(){return 0;}\n' >/tmp/crh-check.c
clang-format --style=LLVM /tmp/crh-check.c | grep -qxF 'int main() { return 0; }'
rm -f /tmp/crh-check.ts /tmp/crh-check.c
