from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiodocker
import httpx
import pytest

from services.executor.sandbox import seccomp
from services.executor.sandbox.box import BoxOptions
from services.executor.sandbox.pool import POOL_NAME_PREFIX, PoolSettings, SandboxPool
from shared.settings import ExecutorSettings
from tests.conftest import EXECUTOR_ID


def sandbox_leftovers(executor_id: str = EXECUTOR_ID) -> list[str]:
    """Sandboxes of finished executions still present (idle warm-pool sandboxes do not count)."""
    names = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            "label=coderunhub.role=sandbox",
            "--filter",
            f"label=coderunhub.executor={executor_id}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    volumes = subprocess.run(
        ["docker", "volume", "ls", "-q", "--filter", "label=coderunhub.role=sandbox"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [name for name in names if not name.startswith(POOL_NAME_PREFIX)] + volumes


def wait_for_no_leftovers(executor_id: str = EXECUTOR_ID, timeout: float = 10.0) -> list[str]:
    """Used sandboxes are removed in the background right after their execution: allow for that."""
    deadline = time.monotonic() + timeout
    while (leftovers := sandbox_leftovers(executor_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return leftovers


@contextlib.asynccontextmanager
async def bare_pool() -> AsyncIterator[SandboxPool]:
    """A sandbox pool with the executor's settings that starts nothing by itself: the test decides
    which sandboxes exist."""
    settings = ExecutorSettings()
    docker = aiodocker.Docker()
    options = BoxOptions(
        executor_id=EXECUTOR_ID,
        runtime=settings.runtime,
        nano_cpus=settings.nano_cpus,
        work_size_mb=settings.work_size_mb,
        tmp_size_mb=settings.tmp_size_mb,
        seccomp_profile=seccomp.profile_json(),
    )
    pool = SandboxPool(docker, options, PoolSettings(base_targets={}, max_total=0, new_shape_target=0))
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()
        await docker.close()


def runtime_image(runtime: str) -> str:
    settings = ExecutorSettings()
    return f"{settings.image_prefix}{runtime}:{settings.image_tag}"


@pytest.fixture(autouse=True)
def no_sandbox_left_behind(executor: subprocess.Popen[bytes]) -> Iterator[None]:
    """Every end-to-end test also checks that no container or volume of its executions remains."""
    yield
    assert wait_for_no_leftovers() == []


async def run(api: httpx.AsyncClient, payload: dict[str, Any], **params: str) -> dict[str, Any]:
    response = await api.post("/v1/executions", params={"wait": "true", **params}, json=payload)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "finished"
    return body
