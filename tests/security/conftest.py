from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import pytest_asyncio

from services.gateway.app import create_app
from tests.conftest import gateway_settings, serve, side_executor
from tests.deploy.servers import side_redis

GVISOR_REDIS = side_redis(9)
GVISOR_EXECUTOR = "executor-gvisor"
FRESH_REDIS = side_redis(12)
FRESH_EXECUTOR = "executor-fresh"


@pytest.fixture(autouse=True)
def _executor_running(executor: subprocess.Popen[bytes]) -> None:
    """The corpus runs against the session's real executor."""


@asynccontextmanager
async def fresh_side_api(executor_id: str, redis_url: str, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway and an executor on their own Redis database, a never-used container per execution."""
    with side_executor(
        executor_id,
        redis_url,
        CRH_EXECUTOR_SANDBOX_MODE="fresh",
        CRH_EXECUTOR_CONCURRENCY="2",
        CRH_EXECUTOR_POOL_SIZE="0",
        **env,
    ):
        async with (
            serve(create_app(gateway_settings(redis_url=redis_url))) as url,
            httpx.AsyncClient(base_url=url, timeout=120) as client,
        ):
            yield client


@pytest_asyncio.fixture(scope="module")
async def gvisor_api(executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    # gVisor's namespaces are partial (kill(-1) reaches past the cell, non-dumpable is not
    # enforced): under it every execution gets a container of its own (docs/security.md).
    async with fresh_side_api(
        GVISOR_EXECUTOR, GVISOR_REDIS, CRH_EXECUTOR_RUNTIME="runsc", CRH_EXECUTOR_POOL_SIZES='{"python": 2}'
    ) as client:
        yield client


@pytest_asyncio.fixture(scope="module")
async def fresh_api(executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_side_api(FRESH_EXECUTOR, FRESH_REDIS, CRH_EXECUTOR_POOL_SIZES='{"python": 4}') as client:
        yield client
