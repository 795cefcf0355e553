"""The warm pool: sandboxes are started ahead of time; in reuse mode one serves execution after
execution, in fresh mode each serves one; a burst larger than the pool degrades to cold starts
without errors.

From inside, a program sees which container it is in (the host uid its user namespace maps, in
/proc/self/uid_map; each container has its own) and how long ago its cell (PID 1 of its
namespaces) was prepared: long before the program in a warm sandbox, just before in a cold one."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis

from services.gateway.app import create_app
from shared.redis_keys import executor_heartbeat
from tests.conftest import (
    EXECUTOR_ID,
    REDIS_URL,
    gateway_settings,
    serve,
    side_executor,
)
from tests.deploy.servers import side_redis
from tests.e2e.conftest import run, wait_for_no_leftovers

WHO_AM_I = """
import os
def started(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
container = open("/proc/self/uid_map").read().split()[1]
uptime = float(open("/proc/uptime").read().split()[0])
print(container, uptime - started(1) / os.sysconf("SC_CLK_TCK"), os.getpid(), sorted(os.listdir("/tmp")))
open(f"/tmp/{os.urandom(4).hex()}", "w").close()
"""
# A sandbox whose cell waited this long before its program was warm; a cold start takes ~0.1 s.
WARM_AGE_S = 0.5
BURST_REDIS = side_redis(11)
BURST_EXECUTOR = "executor-burst"


def identity(result: dict[str, Any]) -> tuple[str, float]:
    assert result["verdict"] == "ok", result
    container, age, pid, tmp = result["run"]["stdout"].split(maxsplit=3)
    # A fresh cell every time: the program is the second process of its PID namespace and the
    # file the previous program left in /tmp is not there.
    assert (pid, tmp.strip()) == ("2", "[]"), result["run"]["stdout"]
    return container, float(age)


async def pool_filled(redis_url: str, executor_id: str, timeout: float = 120) -> None:
    """Until the executor's heartbeat reports every pool target met (a fresh executor fills its
    pool in the background after it reports ready)."""
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            raw: bytes | None = client.get(executor_heartbeat(executor_id))  # type: ignore[assignment]
            pool = json.loads(raw)["pool"] if raw else None
            if pool and pool["idle"] + pool.get("reused", 0) >= pool["target"] > 0:
                return
            assert asyncio.get_running_loop().time() < deadline, f"the pool did not fill: {pool}"
            await asyncio.sleep(0.2)
    finally:
        client.close()


async def test_sandboxes_serve_execution_after_execution(api: httpx.AsyncClient) -> None:
    await pool_filled(REDIS_URL, EXECUTOR_ID)
    seen = [identity(await run(api, {"language": "python", "source": WHO_AM_I})) for _ in range(8)]
    containers = [container for container, _ in seen]
    assert len(set(containers)) < len(containers), f"no sandbox served twice: {containers}"


@pytest.fixture
def burst_executor(executor: subprocess.Popen[bytes]) -> Iterator[None]:
    with side_executor(
        BURST_EXECUTOR,
        BURST_REDIS,
        CRH_EXECUTOR_CONCURRENCY="4",
        CRH_EXECUTOR_SANDBOX_MODE="fresh",
        CRH_EXECUTOR_POOL_SIZE="0",
        CRH_EXECUTOR_POOL_SIZES='{"python": 2}',
    ):
        yield


@pytest_asyncio.fixture
async def burst_api(burst_executor: None) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(gateway_settings(redis_url=BURST_REDIS))) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        yield client


async def test_a_burst_beyond_the_pool_degrades_to_cold_starts(burst_api: httpx.AsyncClient) -> None:
    # Fresh mode: each execution gets a container nobody used. Let the pool (2 python sandboxes)
    # fill, then send six times as many at once.
    await pool_filled(BURST_REDIS, BURST_EXECUTOR)
    results = await asyncio.gather(*(run(burst_api, {"language": "python", "source": WHO_AM_I}) for _ in range(12)))
    seen = [identity(result) for result in results]
    ages = sorted(age for _, age in seen)
    assert len({container for container, _ in seen}) == 12
    assert ages[-1] >= WARM_AGE_S, f"the warm sandboxes were used: {ages}"
    assert ages[0] < WARM_AGE_S, f"the rest started cold: {ages}"
    assert wait_for_no_leftovers(BURST_EXECUTOR) == []
