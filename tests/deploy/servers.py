"""Redis and PostgreSQL servers a test owns: started on free ports, stopped or restarted at will,
removed afterwards. Tests never stop or restart the machine's own servers (another suite, e.g. one
started by `make run`, may be using them)."""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.conftest import free_port

# The machine's own servers: probed, never stopped (another suite may be using them).
MACHINE_REDIS_PORT = 6379
MACHINE_POSTGRES_PORT = 5432


def redis_answers(port: int) -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping())
    except redis.ConnectionError:
        return False


def postgres_answers(port: int) -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)], check=False).returncode == 0


@dataclass(frozen=True)
class OwnRedis:
    port: int
    directory: Path

    def __post_init__(self) -> None:
        assert self.port != MACHINE_REDIS_PORT, "a test stops only a Redis of its own"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.directory), "--logfile", "redis.log"]
        subprocess.run(argv, check=True)
        wait_for(self.answers, "redis")

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], check=False, capture_output=True)
        wait_for(lambda: not self.answers(), "redis to stop")

    def restart(self) -> None:
        """Down long enough for clients to notice, then up again, empty (as a real restart without
        persistence)."""
        self.stop()
        time.sleep(1.0)
        self.start()

    def answers(self) -> bool:
        return redis_answers(self.port)


@dataclass(frozen=True)
class OwnPostgres:
    version: str
    name: str
    port: int

    def __post_init__(self) -> None:
        assert self.port != MACHINE_POSTGRES_PORT, "a test stops only a PostgreSQL cluster of its own"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action], check=True)

    def answers(self) -> bool:
        return postgres_answers(self.port)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited too long for {what}")
        time.sleep(0.1)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    with tempfile.TemporaryDirectory(prefix="crh-redis-") as directory:
        server = OwnRedis(free_port(), Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A cluster of the machine's PostgreSQL version of our own (trust on loopback)."""
    version = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))[-1].name
    server = OwnPostgres(version, f"crhtest{uuid.uuid4().hex[:8]}", free_port())
    create = ["pg_createcluster", "--port", str(server.port), version, server.name]
    subprocess.run([*create, "--", "--auth-local=trust", "--auth-host=trust"], check=True, capture_output=True)
    try:
        server.ctl("start")
        wait_for(server.answers, "postgres")
        yield server
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, server.name], check=False, capture_output=True)


@functools.cache
def _side_server() -> OwnRedis:
    stack = ExitStack()
    server = stack.enter_context(own_redis())
    atexit.register(stack.close)
    return server


def side_redis(db: int) -> str:
    """A database of the test run's own Redis, for the side executors and suites some tests start
    and empty first: the machine's Redis is shared (a `make run` suite may be using any of its
    databases). Started on first use, stopped when the test process exits."""
    return f"redis://127.0.0.1:{_side_server().port}/{db}"
