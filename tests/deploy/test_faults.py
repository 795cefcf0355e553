"""Faults: Redis restarted mid-run, PostgreSQL restarted and down for a while, an executor
SIGKILLed mid-execution. Submissions during an outage are refused cleanly (503 problem+json, in
bounded time); no accepted execution is lost, stuck or given a wrong verdict; and the suite
recovers without manual steps.

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

from services.executor.finishing import INTERRUPTED_MESSAGE
from services.gateway.app import create_app
from shared.db.bootstrap import ensure_database
from shared.db.models import Execution
from shared.db.session import create_engine, create_sessionmaker
from shared.problems import PROBLEM_MEDIA_TYPE
from shared.redis_keys import RUNTIMES
from tests.conftest import ROOT, gateway_settings, serve, start_executor, wait_until_ready
from tests.deploy.servers import OwnPostgres, OwnRedis, own_postgres, own_redis, wait_for

SLEEPY = "import time\nprint('start', flush=True)\ntime.sleep(2)\nprint('done')\n"
SLEEPY_STDOUT = "start\ndone\n"
# A request to a gateway whose database is down is answered within this (no hang).
OUTAGE_ANSWER_S = 30
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


def assert_ran(result: dict[str, object], stdout: str = SLEEPY_STDOUT) -> None:
    """The program ran to its end: verdict ok, exit code 0 and all its output."""
    run = result["run"]
    assert isinstance(run, dict), result
    assert (result["verdict"], run["exit_code"], run["stdout"]) == ("ok", 0, stdout), result


def assert_refused_while_down(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    problem = response.json()
    assert (problem["status"], problem["title"]) == (503, "Service unavailable"), problem
    assert int(response.headers["retry-after"]) > 0


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


async def assert_recovered(api: httpx.AsyncClient, executors: dict[str, subprocess.Popen[bytes]]) -> None:
    """The suite serves again without a hand: ready, and a new submission runs; no executor exited."""
    await ready(api)
    after = await api.post("/v1/executions?wait=true", json={"language": "python", "source": "print('back')"})
    assert after.status_code == 200, after.text
    assert_ran(after.json(), "back\n")
    assert_alive(executors)


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
    for result in finished.values():
        assert_ran(result)
    await assert_recovered(api, executors)


async def test_postgres_restart(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    ids = await submit(api, 4)
    await asyncio.to_thread(servers.postgres.ctl, "restart")
    # Just after it is back, submissions are accepted or refused cleanly, never a 500.
    later = []
    for _ in range(5):
        response = await api.post("/v1/executions", json={"language": "python", "source": "print(2)"})
        if response.status_code == 503:
            assert_refused_while_down(response)
        else:
            assert response.status_code == 202, response.text
            later.append(response.json()["id"])
        await asyncio.sleep(0.2)
    finished = await all_finish(api, ids + later)
    for eid in ids:
        assert_ran(finished[eid])
    for eid in later:
        assert_ran(finished[eid], "2\n")
    await assert_recovered(api, executors)


async def test_submissions_while_postgres_is_down(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    accepted = await submit(api, 3)
    await asyncio.to_thread(servers.postgres.ctl, "stop")
    try:
        assert not servers.postgres.answers(), "the cluster is down during the submissions"
        for path in ("/v1/executions", "/v1/executions?wait=true"):
            for _ in range(2):
                async with asyncio.timeout(OUTAGE_ANSWER_S):
                    response = await api.post(path, json={"language": "python", "source": "print('lost?')"})
                assert_refused_while_down(response)
        assert (await api.get("/readyz")).status_code == 503, "not ready without its database"
        assert not servers.postgres.answers(), "still down: every refusal above happened during the outage"
    finally:
        await asyncio.to_thread(servers.postgres.ctl, "start")
        await asyncio.to_thread(wait_for, servers.postgres.answers, "postgres")
    # Back: what was accepted before the outage ran to its end, and new submissions succeed.
    finished = await all_finish(api, accepted)
    for result in finished.values():
        assert_ran(result)
    await assert_recovered(api, executors)


async def test_an_executor_killed_mid_execution(
    api: httpx.AsyncClient, servers: Servers, executors: dict[str, subprocess.Popen[bytes]]
) -> None:
    ids = await submit(api, 4)
    # Find an executor of ours running one of them, and kill it outright.
    victim = await _running_executor(servers.database_url, ids, set(executors))
    executors[victim].kill()
    executors[victim].wait()
    # What the victim held when it died (frozen now: the sweeper takes over only seconds later).
    held = await _held_by(servers.database_url, ids, victim)
    assert any(held.values()), f"the victim was running a program when it was killed: {held}"
    finished = await all_finish(api, ids, timeout=120)
    for eid, result in finished.items():
        if held.get(eid):
            # Its program had started: not run twice (side effects), finished as internal_error.
            assert (result["verdict"], result["message"]) == ("internal_error", INTERRUPTED_MESSAGE), result
        else:
            # Never reached the victim, or did before its program started (then run again once).
            assert_ran(result)
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


async def _held_by(database_url: str, ids: list[str], executor_id: str) -> dict[str, bool]:
    """The executions ``executor_id`` held (unfinished), and whether each one's program had started."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Execution.id, Execution.program_started_at).where(
                    Execution.id.in_([uuid.UUID(eid) for eid in ids]),
                    Execution.executor_id == executor_id,
                    Execution.status != "finished",
                )
            )
            return {str(eid): started is not None for eid, started in rows}
    finally:
        await engine.dispose()


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
                            Execution.id.in_([uuid.UUID(eid) for eid in ids]),
                            Execution.status == "running",
                            # Its program started: the kill then interrupts user code, not set-up.
                            Execution.program_started_at.is_not(None),
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
