"""Faults: Redis restarted mid-run, PostgreSQL restarted, an executor SIGKILLed mid-execution.
No accepted execution is lost or stuck, and the suite recovers without manual steps.

The Redis and PostgreSQL restarted here are the module's own (tests/deploy/servers.py): a gateway
and two executors run against them, so the machine's servers, and any suite using them, are never
disturbed. Redis loses what it held, as a real restart without persistence would."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import redis
from sqlalchemy import select

from services.gateway.app import create_app
from shared.db.bootstrap import ensure_database
from shared.db.models import Execution
from shared.db.session import create_engine, create_sessionmaker
from shared.redis_keys import RUNTIMES
from tests.conftest import ROOT, gateway_settings, serve, start_executor, wait_until_ready
from tests.deploy.servers import OwnPostgres, OwnRedis, own_postgres, own_redis

SLEEPY = "import time\nprint('start', flush=True)\ntime.sleep(2)\nprint('done')\n"
EXECUTOR_ENV = {
    "CRH_EXECUTOR_SWEEP_INTERVAL_S": "1",
    "CRH_EXECUTOR_STUCK_AFTER_S": "3",
    "CRH_EXECUTOR_CONCURRENCY": "2",
}


@dataclass(frozen=True)
class Servers:
    redis: OwnRedis
    postgres: OwnPostgres

    @property
    def database_url(self) -> str:
        return self.postgres.url("coderunhub_faults")


@pytest.fixture(scope="module")
def servers(redis_client: redis.Redis) -> Iterator[Servers]:
    with own_redis() as cache, own_postgres() as database:
        owned = Servers(cache, database)
        asyncio.run(ensure_database(owned.database_url, recreate=True))
        env = {**os.environ, "CRH_DATABASE_URL": owned.database_url}
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True, env=env)
        yield owned


@pytest.fixture(scope="module")
def executors(
    servers: Servers, redis_client: redis.Redis, executor: subprocess.Popen[bytes]
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    client = redis.Redis.from_url(servers.redis.url)
    # The runtimes the session's executor probed (an executor reads them at start).
    client.hset(RUNTIMES, mapping=redis_client.hgetall(RUNTIMES))  # type: ignore[arg-type]
    urls = {"CRH_DATABASE_URL": servers.database_url, "CRH_REDIS_URL": servers.redis.url}
    procs = {
        f"executor-fault-{n}": start_executor(f"executor-fault-{n}", f"executor-fault-{n}.log", **EXECUTOR_ENV, **urls)
        for n in (1, 2)
    }
    try:
        for executor_id, proc in procs.items():
            wait_until_ready(client, executor_id, proc)
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
        client.close()


@pytest_asyncio.fixture(scope="module")
async def api(servers: Servers, executors: dict[str, subprocess.Popen[bytes]]) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(database_url=servers.database_url, redis_url=servers.redis.url)
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield client


async def submit(api: httpx.AsyncClient, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = await api.post("/v1/executions", json={"language": "python", "source": SLEEPY})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    return ids


async def all_finish(api: httpx.AsyncClient, ids: list[str], timeout: float = 120) -> dict[str, dict[str, object]]:
    """Every accepted execution reaches a final state (retrying reads while a dependency is back up)."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, object]] = {}
    while time.monotonic() < deadline and len(done) < len(ids):
        for eid in ids:
            if eid in done:
                continue
            try:
                response = await api.get(f"/v1/executions/{eid}")
            except httpx.HTTPError:
                continue
            if response.status_code == 200 and response.json()["status"] == "finished":
                done[eid] = response.json()
        await asyncio.sleep(0.5)
    stuck = [eid for eid in ids if eid not in done]
    assert not stuck, f"stuck executions: {stuck}"
    return done


async def ready(api: httpx.AsyncClient, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (await api.get("/readyz")).status_code == 200:
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the gateway did not become ready again")


def assert_alive(executors: dict[str, subprocess.Popen[bytes]]) -> None:
    """Executors ride out a dependency's restart: none exited."""
    assert {name: proc.poll() for name, proc in executors.items()} == dict.fromkeys(executors)


async def test_redis_restart_mid_run(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    ids = await submit(api, 6)
    await asyncio.sleep(0.5)  # some running, some queued
    await asyncio.to_thread(servers.redis.restart)
    finished = await all_finish(api, ids)
    # Queued jobs lost with Redis's memory were queued again from PostgreSQL and ran; running ones
    # carried on: every heartbeat vanished with Redis, yet no live executor was taken for dead
    # (its sandboxes removed, its executions taken over).
    verdicts = {eid: (result["verdict"], result["message"]) for eid, result in finished.items()}
    assert all(verdict == "ok" for verdict, _ in verdicts.values()), verdicts
    await ready(api)
    after = await api.post("/v1/executions?wait=true", json={"language": "python", "source": "print('back')"})
    assert after.json()["run"]["stdout"] == "back\n"
    assert_alive(executors)


async def test_postgres_restart(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    ids = await submit(api, 4)
    await asyncio.to_thread(servers.postgres.ctl, "restart")
    # While it comes back, submissions are accepted or refused cleanly, never a 500.
    for _ in range(5):
        response = await api.post("/v1/executions", json={"language": "python", "source": "print(2)"})
        assert response.status_code in (202, 503), response.text
        if response.status_code == 202:
            ids.append(response.json()["id"])
        await asyncio.sleep(0.2)
    await all_finish(api, ids)
    await ready(api)
    after = await api.post("/v1/executions?wait=true", json={"language": "python", "source": "print('back')"})
    assert after.json()["run"]["stdout"] == "back\n"
    assert_alive(executors)


async def test_an_executor_killed_mid_execution(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    ids = await submit(api, 4)
    # Find an executor of ours running one of them, and kill it outright.
    victim = await _running_executor(servers.database_url, ids, set(executors))
    executors[victim].kill()
    executors[victim].wait()
    finished = await all_finish(api, ids, timeout=120)
    assert all(result["status"] == "finished" for result in finished.values())
    # Its sandboxes are removed by the surviving executor's sweeper.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=coderunhub.executor={victim}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        if not left:
            break
        await asyncio.sleep(1)
    assert not left, "the dead executor's sandboxes were reaped"


async def _running_executor(database_url: str, ids: list[str], candidates: set[str]) -> str:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with sessions() as session:
                rows = (
                    await session.execute(
                        select(Execution.executor_id).where(
                            Execution.id.in_([uuid.UUID(eid) for eid in ids]), Execution.status == "running"
                        )
                    )
                ).scalars()
                for executor_id in rows:
                    if executor_id in candidates:
                        return str(executor_id)
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    raise AssertionError("none of our executors was running an execution")
