from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
import pytest_asyncio
import redis

from services.gateway.app import create_app
from shared.redis_keys import RUNTIMES
from tests.conftest import REDIS_URL, gateway_settings, serve, start_executor, wait_until_ready

GVISOR_REDIS = "redis://127.0.0.1:6379/9"
GVISOR_EXECUTOR = "executor-gvisor"
FRESH_REDIS = "redis://127.0.0.1:6379/12"
FRESH_EXECUTOR = "executor-fresh"


@pytest.fixture(autouse=True)
def _executor_running(executor: subprocess.Popen[bytes]) -> None:
    """The corpus runs against the session's real executor."""


@contextmanager
def side_executor(executor_id: str, redis_url: str, **env: str) -> Iterator[None]:
    """Another executor on its own Redis database (the session executor's runtimes copied there)."""
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


@pytest_asyncio.fixture(scope="module")
async def gvisor_api(executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    # gVisor's namespaces are partial (kill(-1) reaches past the cell, non-dumpable is not
    # enforced): under it every execution gets a container of its own (docs/security.md).
    with side_executor(
        GVISOR_EXECUTOR,
        GVISOR_REDIS,
        CRH_EXECUTOR_RUNTIME="runsc",
        CRH_EXECUTOR_SANDBOX_MODE="fresh",
        CRH_EXECUTOR_CONCURRENCY="2",
        CRH_EXECUTOR_POOL_SIZE="0",
        CRH_EXECUTOR_POOL_SIZES='{"python": 2}',
    ):
        async with (
            serve(create_app(gateway_settings(redis_url=GVISOR_REDIS))) as url,
            httpx.AsyncClient(base_url=url, timeout=120) as client,
        ):
            yield client


@pytest_asyncio.fixture(scope="module")
async def fresh_api(executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    with side_executor(
        FRESH_EXECUTOR,
        FRESH_REDIS,
        CRH_EXECUTOR_SANDBOX_MODE="fresh",
        CRH_EXECUTOR_CONCURRENCY="2",
        CRH_EXECUTOR_POOL_SIZE="0",
        CRH_EXECUTOR_POOL_SIZES='{"python": 4}',
    ):
        async with (
            serve(create_app(gateway_settings(redis_url=FRESH_REDIS))) as url,
            httpx.AsyncClient(base_url=url, timeout=120) as client,
        ):
            yield client
