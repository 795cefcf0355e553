"""Session fixtures: a freshly migrated test database, a clean Redis database, a real executor
process (real Docker sandboxes) and the gateway served by uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis
import uvicorn
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from services.gateway.app import create_app
from shared.db.bootstrap import ensure_database
from shared.db.models import Execution
from shared.db.session import create_engine, create_sessionmaker
from shared.languages import BY_KEY
from shared.redis_keys import EXECUTION_QUEUE, RUNTIMES, executor_heartbeat
from shared.settings import CompileLimitsPolicy, GatewaySettings, LimitsPolicy

# The auth service and its fake providers, for every package that needs signed-in users.
pytest_plugins = ["tests.auth_support"]

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1


def redis_database(url: str) -> int:
    parts = urlparse(url)
    return int(parse_qs(parts.query).get("db", [parts.path.strip("/")])[0] or 0)


# The suite drops its database and flushes its Redis database: they come from CRH_TEST_* only, and
# override CRH_DATABASE_URL / CRH_REDIS_URL, so a shell that exported a running suite's URLs (make
# run's) never points the tests at that suite's data.
DATABASE_URL = os.environ.get("CRH_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/coderunhub_test")
REDIS_URL = os.environ.get("CRH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
if "test" not in (make_url(DATABASE_URL).database or "") or redis_database(REDIS_URL) == 0:
    raise SystemExit(
        f"refusing to test against {make_url(DATABASE_URL).database!r} / Redis database {redis_database(REDIS_URL)}: "
        "the suite drops and flushes them (a database named *test*, a Redis database other than 0)"
    )
os.environ["CRH_DATABASE_URL"] = DATABASE_URL
os.environ["CRH_REDIS_URL"] = REDIS_URL
os.environ.setdefault("CRH_LOG_JSON", "false")
# Every suite calls from 127.0.0.1, many anonymously and in bursts: generous rate limits for all of
# them (in-process and subprocess gateways alike); tests/product/test_rate_limits.py sets tiny ones.
GENEROUS_RATE_LIMITS = (
    '{"executions": "100000/minute", "reads": "100000/minute", "writes": "100000/minute", "max_in_flight": 10000,'
    ' "analyses": "100000/minute", "max_analyses_in_flight": 10000}'
)
os.environ.setdefault("CRH_GATEWAY_USER_RATE_LIMITS", GENEROUS_RATE_LIMITS)
os.environ.setdefault("CRH_GATEWAY_ANONYMOUS_RATE_LIMITS", GENEROUS_RATE_LIMITS)
EXECUTOR_ID = "executor-test"
SENTINEL = "crh-sentinel-secret"
LOG_DIR = Path(os.environ.get("CRH_TEST_LOG_DIR", "/tmp/coderunhub-test-logs"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postmaster_started(url: str) -> datetime:
    """When the PostgreSQL server `url` names started (`pg_postmaster_start_time()`): it changes
    whenever that server restarts. Asked over the server's maintenance database (whatever the URL's
    database holds, or whether it still exists), on a fresh thread with its own event loop, so it
    can be called from any thread, an event loop running there or not."""
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def query() -> datetime:
        connection = await asyncpg.connect(admin, timeout=10)
        try:
            started: datetime = await connection.fetchval("SELECT pg_postmaster_start_time()")
            return started
        finally:
            await connection.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(query())).result()


def run_id_of(client: redis.Redis) -> str:
    """The `run_id` from `INFO server`: random per Redis process, so it changes whenever that
    server restarts."""
    info = client.info("server")
    assert isinstance(info, dict), info
    return str(info["run_id"])


def _assert_same_server(what: str, before: object, now: Callable[[], object]) -> None:
    """The session's shared server is still the process it found at its start."""
    message = f"a test restarted the shared {what}; tests that stop a server must start their own"
    try:
        after = now()
    except Exception as error:  # down at the end (stopped and not brought back), or restarting
        raise AssertionError(f"{message} (it no longer answers: {error!r})") from error
    assert after == before, f"{message} (identity at session start {before!r}, now {after!r})"


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    # The machine's PostgreSQL is shared (other suites, `make run`): the session checks at its end
    # that no test stopped or restarted it (tests/deploy/servers.py starts servers tests may stop).
    server = make_url(DATABASE_URL)
    started = postmaster_started(DATABASE_URL)
    asyncio.run(ensure_database(DATABASE_URL, recreate=True))
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True, capture_output=True)
    yield DATABASE_URL
    what = f"PostgreSQL at {server.host or '127.0.0.1'}:{server.port or 5432}"
    _assert_same_server(what, started, lambda: postmaster_started(DATABASE_URL))


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    # The machine's Redis is shared too: same check as `database`.
    client = redis.Redis.from_url(REDIS_URL)
    run_id = run_id_of(client)
    client.flushdb()
    try:
        yield client
        address = client.connection_pool.connection_kwargs
        what = f"Redis at {address.get('host', '127.0.0.1')}:{address.get('port', 6379)}"
        _assert_same_server(what, run_id, lambda: run_id_of(client))
    finally:
        client.close()


def _die_with_the_test_run() -> None:
    """An executor outliving a killed test run would keep taking the next run's jobs from the same
    Redis database (and sweeping its executions): it gets SIGTERM when pytest dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_executor(executor_id: str, log_name: str, **env: str) -> subprocess.Popen[bytes]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / log_name).open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.executor"],
        cwd=ROOT,
        # Several executors share this host: the metrics listener only where a test asks for one.
        env={**os.environ, "CRH_EXECUTOR_EXECUTOR_ID": executor_id, "CRH_EXECUTOR_METRICS_PORT": "0", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_the_test_run,
    )


def wait_until_ready(
    client: redis.Redis, executor_id: str, proc: subprocess.Popen[bytes], timeout: float = 180
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"executor exited with {proc.returncode}; see {LOG_DIR}")
        runtimes: dict[bytes, bytes] = client.hgetall(RUNTIMES)  # type: ignore[assignment]
        beat: bytes | None = client.get(executor_heartbeat(executor_id))  # type: ignore[assignment]
        ready = beat is not None and json.loads(beat)["ready"] and len(runtimes) >= len(BY_KEY)
        if ready and all(json.loads(v)["executor"] for v in runtimes.values()):
            return
        time.sleep(0.2)
    raise TimeoutError(f"executor {executor_id} did not become ready; see {LOG_DIR}")


@contextlib.contextmanager
def side_executor(executor_id: str, redis_url: str, **env: str) -> Iterator[None]:
    """Another executor on a Redis database of its own (emptied first, the session executor's
    runtimes copied there), stopped when the block ends."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.hset(RUNTIMES, mapping=redis.Redis.from_url(REDIS_URL).hgetall(RUNTIMES))  # type: ignore[arg-type]
    proc = start_executor(executor_id, f"{executor_id}.log", CRH_REDIS_URL=redis_url, **env)
    try:
        wait_until_ready(client, executor_id, proc, timeout=120)
        yield
    finally:
        proc.terminate()
        proc.wait(30)
        client.close()


@pytest.fixture(scope="session")
def executor(database: str, redis_client: redis.Redis) -> Iterator[subprocess.Popen[bytes]]:
    # The sentinel stands for the executor's secrets: the corpus checks it never reaches a sandbox.
    # Webhooks: tests/product/test_webhooks.py receives deliveries on 127.0.0.1 (loopback only;
    # gateways still refuse it unless a test's own gateway allows it), retried quickly.
    proc = start_executor(
        EXECUTOR_ID,
        "executor.log",
        CRH_EXECUTOR_CONCURRENCY="2",
        CRH_TEST_SENTINEL=SENTINEL,
        CRH_EXECUTOR_WEBHOOK_ALLOWED_NETWORKS='["127.0.0.0/8"]',
        CRH_EXECUTOR_WEBHOOK_BASE_DELAY_S="0.2",
        CRH_EXECUTOR_WEBHOOK_MAX_ATTEMPTS="4",
    )
    try:
        wait_until_ready(redis_client, EXECUTOR_ID, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.asynccontextmanager
async def serve(app: ASGIApp, port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a (free) loopback port for the duration of the block."""
    port = port or free_port()
    # Keep-alive beyond httpx's 5 s expiry: otherwise a reused connection can race the server closing it.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", timeout_keep_alive=75)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def gateway_settings(**overrides: object) -> GatewaySettings:
    # The execution suites call anonymously and exercise the sandbox's full limit ranges, so they
    # run with the account policies (run and compile); tests/auth and anonymous_gateway_settings()
    # check the stricter anonymous defaults.
    values: dict[str, object] = {
        "wait_timeout_s": 90,
        "stream_idle_check_s": 1.0,
        "anonymous_limits": LimitsPolicy(),
        "anonymous_compile_limits": CompileLimitsPolicy(),
        "anonymous_interactive_wall_time_ms": GatewaySettings.model_fields["interactive_wall_time_ms"].default,
        "anonymous_judge_max_wall_ms": GatewaySettings.model_fields["judge_max_wall_ms"].default,
        **overrides,
    }
    return GatewaySettings(**values)  # type: ignore[arg-type]


def anonymous_gateway_settings(**overrides: object) -> GatewaySettings:
    """gateway_settings(), but anonymous callers get the real default anonymous policies."""
    defaults = GatewaySettings.model_fields
    anonymous = ("limits", "compile_limits", "interactive_wall_time_ms", "judge_max_wall_ms")
    values: dict[str, object] = {f"anonymous_{name}": defaults[f"anonymous_{name}"].default for name in anonymous}
    return gateway_settings(**{**values, **overrides})


@pytest_asyncio.fixture(scope="session")
async def gateway_url(database: str, redis_client: redis.Redis) -> AsyncIterator[str]:
    async with serve(create_app(gateway_settings())) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def api(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=120) as client:
        yield client


@pytest_asyncio.fixture(scope="session")
async def anonymous_api(database: str, redis_client: redis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose anonymous callers get the shipped anonymous policies (run and compile)."""
    async with (
        serve(create_app(anonymous_gateway_settings())) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as client,
    ):
        yield client


@pytest_asyncio.fixture
async def nothing_queued(sessions: async_sessionmaker[AsyncSession], redis_client: redis.Redis) -> AsyncIterator[None]:
    """The test must neither persist an execution nor queue a job."""

    async def counts() -> tuple[int, int]:
        async with sessions() as session:
            rows = (await session.execute(select(func.count()).select_from(Execution))).scalar_one()
        return rows, int(redis_client.zcard(EXECUTION_QUEUE))  # type: ignore[arg-type]

    before = await counts()
    yield
    assert await counts() == before


@pytest_asyncio.fixture(scope="session")
async def sessions(database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database, pool_size=2)
    yield create_sessionmaker(engine)
    await engine.dispose()
