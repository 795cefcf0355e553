"""An executor SIGKILLed mid-execution: on restart it removes its orphaned sandboxes, and every
execution it held reaches a final state — re-run once if user code never started, otherwise an
internal error. Never stuck as running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from arq.constants import in_progress_key_prefix
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.gateway.app import create_app
from shared.db.models import Execution
from shared.redis_keys import RUNTIMES
from tests.conftest import REDIS_URL, gateway_settings, serve, start_executor, wait_until_ready
from tests.deploy.servers import side_redis

# No WebSocket read waits longer than this: a stuck stream fails the test, never hangs it.
WS_S = 60

CRASH_REDIS = side_redis(12)
EXECUTOR_ID = "executor-crash"
LONG_PROGRAM = "import time\nprint('started', flush=True)\ntime.sleep(60)"


def sandboxes_of(executor_id: str) -> list[str]:
    return subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=coderunhub.executor={executor_id}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()


@pytest.fixture
def crash_redis(executor: subprocess.Popen[bytes]) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(CRASH_REDIS)
    client.flushdb()
    # Reuse the versions the session executor probed (same images): no re-probing on each start.
    runtimes = redis.Redis.from_url(REDIS_URL).hgetall(RUNTIMES)
    client.hset(RUNTIMES, mapping=runtimes)  # type: ignore[arg-type]
    yield client
    client.close()


@pytest_asyncio.fixture
async def crash_api(crash_redis: redis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(gateway_settings(redis_url=CRASH_REDIS))) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        yield client


class Executor:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_executor(
            EXECUTOR_ID,
            "executor-crash.log",
            CRH_REDIS_URL=CRASH_REDIS,
            CRH_EXECUTOR_POOL_MAX_TOTAL="0",
            CRH_EXECUTOR_POOL_SIZES="{}",
        )
        wait_until_ready(self.client, EXECUTOR_ID, self.proc, timeout=60)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.fixture
def crashing_executor(crash_redis: redis.Redis) -> Iterator[Executor]:
    executor = Executor(crash_redis)
    yield executor
    executor.stop()
    subprocess.run(["docker", "rm", "-f", *sandboxes_of(EXECUTOR_ID)], capture_output=True)


async def wait_finished(api: httpx.AsyncClient, execution_id: str, timeout: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            body: dict[str, Any] = (await api.get(f"/v1/executions/{execution_id}")).json()
            if body["status"] == "finished":
                return body
            await asyncio.sleep(0.2)


async def test_killed_mid_execution_ends_in_internal_error_without_leftovers(
    crash_api: httpx.AsyncClient, crashing_executor: Executor
) -> None:
    crashing_executor.start()
    created = (await crash_api.post("/v1/executions", json={"language": "python", "source": LONG_PROGRAM})).json()
    stream_url = created["links"]["stream"]
    frames: list[dict[str, Any]] = []

    async def receive(ws: ClientConnection) -> dict[str, Any]:
        try:
            frames.append(json.loads(await ws.recv()))
        except ConnectionClosed as exc:
            raise AssertionError(f"stream closed ({exc}) after {frames}") from exc
        return frames[-1]

    async with connect(stream_url) as ws, asyncio.timeout(WS_S):
        # Wait until the program is really running in its sandbox (output may come in pieces).
        stdout = ""
        while "started\n" not in stdout:
            stdout += (await receive(ws)).get("data", "")
        assert sandboxes_of(EXECUTOR_ID), "the sandbox is running"
        crashing_executor.kill()
        assert sandboxes_of(EXECUTOR_ID), "SIGKILL leaves the sandbox behind, as a real crash would"

        crashing_executor.start()
        # The client still connected to the stream gets the final result.
        async with asyncio.timeout(60):
            while (frame := await receive(ws))["type"] != "result":
                pass
    assert frame["execution"]["verdict"] == "internal_error"

    result = await wait_finished(crash_api, created["id"])
    assert result["verdict"] == "internal_error"
    assert "stopped unexpectedly" in result["message"]
    assert sandboxes_of(EXECUTOR_ID) == []


async def test_killed_before_the_program_started_is_run_again(
    crash_api: httpx.AsyncClient,
    crashing_executor: Executor,
    crash_redis: redis.Redis,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # The executor is down; an execution is queued, then taken by it just before it died:
    # marked running with no user code started, its arq job in progress.
    created = (await crash_api.post("/v1/executions", json={"language": "python", "source": "print('again')"})).json()
    execution_id = uuid.UUID(created["id"])
    async with sessions() as session:
        await session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(status="running", executor_id=EXECUTOR_ID, attempts=1)
        )
        await session.commit()
    crash_redis.set(in_progress_key_prefix + created["id"], b"1", px=300_000)

    crashing_executor.start()
    result = await wait_finished(crash_api, created["id"])
    assert result["verdict"] == "ok"
    assert result["run"]["stdout"] == "again\n"
    async with sessions() as session:
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        assert execution.attempts == 2
