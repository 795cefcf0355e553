"""The set-up commands work on a plain Debian host that has only `make`, `git` and `python3`.

A container made from Debian's own base image (pulled, or bootstrapped with mmdebstrap like the
sandbox base: deploy/scripts/debian-base.sh) gets what a self-hoster starts with and nothing else:
apt's `make git python3`. The project's working tree is copied in and committed as a clone, and
these run in order, each timed: `make venv` (uv into .tools/python, the lock into .venv on the
host's own interpreter), `make web` (Node.js from the distribution or the npm registry, `npm ci`,
the Vite build), `make migrate` (the distribution's PostgreSQL and Redis installed and started inside
the container, a throwaway server, then the database bootstrap and every migration), `make lint`
(ruff and mypy strict), `make unit`; then the same commands again, which must do nothing.

Docker-in-Docker is not needed by these and not attempted (`make images` and the suite itself are
what every other test exercises on this machine). Downloads (apt's .debs, uv's and npm's caches)
persist in a volume per suite between runs, as a CI cache would; the timings say which kind of
run it was. The machine's own network needs its TLS-intercepting proxy's CA: it is added to the
container's trust store as a host behind such a proxy would have it, and the host's variables
naming the bundle are passed on."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

WORKTREE = "/srv/coderunhub"
# What each suite's own packages give: the interpreter the platform then runs on, and where
# Node.js comes from (Debian 12 ships Node 18, older than Vite 8 accepts; Debian 13 ships 20.19).
EXPECTED = {
    "bookworm": {"python": "3.11", "node": f"{WORKTREE}/.tools/node/bin/node"},
    "trixie": {"python": "3.13", "node": "/usr/bin/node"},
}
TLS_VARIABLES = ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO")
HOST_CERTS = Path("/usr/local/share/ca-certificates")
PLAIN_HOST = """\
FROM {base}
COPY certs/ /usr/local/share/ca-certificates/
# What a self-hoster's fresh server has before the first `make`: make, git and python3 (with
# apt's default recommends, as `apt install` gives), and no package lists left behind.
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make git python3 >/dev/null \\
 && if command -v update-ca-certificates >/dev/null; then update-ca-certificates >/dev/null; fi \\
 && rm -rf /var/lib/apt/lists/*
"""


def run(*command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def plain_host(suite: str) -> str:
    base = run(
        "bash", "-c", f"source deploy/scripts/debian-base.sh && ensure_debian {suite} && debian_image {suite}"
    ).stdout.split()[-1]
    tag = f"coderunhub/plain-host:{suite}"
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "Dockerfile").write_text(PLAIN_HOST.format(base=base))
        certs = Path(context) / "certs"
        certs.mkdir()
        for cert in HOST_CERTS.glob("*.crt"):
            (certs / cert.name).write_bytes(cert.read_bytes())
        run("docker", "build", "-q", "-t", tag, context, timeout=900)
    return tag


def project_files() -> list[str]:
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


class Host:
    """A running container of the plain host with the project checked out in WORKTREE."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.env = [f"{key}={os.environ[key]}" for key in TLS_VARIABLES if key in os.environ]

    def sh(self, script: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        command = ["docker", "exec", "-w", WORKTREE]
        for variable in self.env:
            command += ["-e", variable]
        command += [self.name, "bash", "-c", script]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def make(self, target: str) -> tuple[float, str]:
        started = time.monotonic()
        done = self.sh(f"make {target} 2>&1")
        elapsed = time.monotonic() - started
        assert done.returncode == 0, f"make {target} failed after {elapsed:.0f} s:\n{done.stdout[-6000:]}"
        return elapsed, done.stdout

    def out(self, script: str) -> str:
        done = self.sh(script, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()


@pytest.fixture(params=sorted(EXPECTED))
def host(request: pytest.FixtureRequest) -> Iterator[tuple[str, Host]]:
    suite: str = request.param
    image = plain_host(suite)
    name = f"crh-fresh-host-{suite}-{os.getpid()}"
    cache = f"coderunhub-fresh-host-cache-{suite}"
    run(
        "docker", "run", "-d", "--rm", "--name", name, "--label", "coderunhub.role=fresh-host-test",
        "-w", WORKTREE, "-v", f"{cache}:/cache", "-e", "npm_config_cache=/cache/npm", "-e", "UV_CACHE_DIR=/cache/uv",
        image, "sleep", "infinity",
    )  # fmt: skip
    host = Host(name)
    try:
        # Keeps the .debs apt downloads (Debian's images may carry docker-clean, which deletes them).
        host.out(
            "mkdir -p /cache/apt /var/cache/apt && rm -rf /var/cache/apt/archives"
            " && ln -s /cache/apt /var/cache/apt/archives && mkdir -p /cache/apt/partial"
            " && rm -f /etc/apt/apt.conf.d/docker-clean"
        )
        host.out(f"mkdir -p {WORKTREE}")
        files = "\0".join(project_files()).encode()
        with subprocess.Popen(
            ["tar", "-C", str(ROOT), "--null", "-T", "-", "-cf", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        ) as tar:
            assert tar.stdin is not None
            tar.stdin.write(files)
            tar.stdin.close()
            unpack = ["docker", "exec", "-i", name, "tar", "-C", WORKTREE, "-xf", "-"]
            subprocess.run(unpack, stdin=tar.stdout, check=True)
        host.out(
            "git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm checkout"
            " && git status --porcelain | wc -l"
        )
        yield suite, host
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@pytest.mark.timeout(3600)
def test_make_sets_up_a_plain_debian_host(host: tuple[str, Host], capsys: pytest.CaptureFixture[str]) -> None:
    suite, box = host
    expected = EXPECTED[suite]
    assert box.sh("command -v node npm pip3 uv psql redis-server").stdout == "", "the plain host is not plain"
    warm = box.out("du -sm /cache | cut -f1")
    timings: dict[str, float] = {}

    timings["venv"], _ = box.make("venv")
    version = box.out(".venv/bin/python -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert version == expected["python"]
    assert box.out(".venv/bin/python -c 'import sys; print(sys.base_prefix)'") == "/usr"
    assert box.out(".tools/python/bin/uv --version").startswith("uv ")

    timings["web"], _ = box.make("web")
    assert box.out("test -s web/dist/index.html && echo built") == "built"
    assert box.out("PATH=$PWD/.tools/node/bin:$PATH command -v node") == expected["node"]

    timings["migrate"], _ = box.make("migrate")
    assert "(head)" in box.out(".venv/bin/alembic current 2>/dev/null")
    tables = box.out("psql -h 127.0.0.1 -U postgres -d coderunhub -Atc \"SELECT to_regclass('executions')\"")
    assert tables == "executions"
    assert box.out("redis-cli -h 127.0.0.1 ping") == "PONG"

    timings["lint"], lint = box.make("lint")
    assert "Success: no issues found" in lint

    timings["unit"], unit = box.make("unit")
    assert " passed" in unit
    assert " failed" not in unit

    # Set up once, nothing is done again: no installs, no sync, no npm, no build.
    started = time.monotonic()
    again = box.sh("make venv web migrate 2>&1")
    timings["again"] = time.monotonic() - started
    assert again.returncode == 0, again.stdout
    for step in ("==> installing", "==> syncing", "npm ci", "vite build", "==> creating", "Running upgrade"):
        assert step not in again.stdout, again.stdout

    disk = box.out("du -sm .venv .tools web/node_modules | awk '{print $2 \"=\" $1 \" MB\"}' | paste -sd ' '")
    with capsys.disabled():
        figures = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items())
        print(f"\n[fresh host {suite}] {figures}; {disk}; download cache before the run: {warm} MB")
