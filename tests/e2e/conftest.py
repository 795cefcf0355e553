from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import EXECUTOR_ID


def sandbox_leftovers() -> list[str]:
    containers = subprocess.run(
        [
            "docker",
            "ps",
            "-aq",
            "--filter",
            "label=coderunhub.role=sandbox",
            "--filter",
            f"label=coderunhub.executor={EXECUTOR_ID}",
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
    return containers + volumes


@pytest.fixture(autouse=True)
def no_sandbox_left_behind(executor: subprocess.Popen[bytes]) -> Iterator[None]:
    """Every end-to-end test also checks that no container or volume of its executions remains."""
    yield
    assert sandbox_leftovers() == []


async def run(api: httpx.AsyncClient, payload: dict[str, Any], **params: str) -> dict[str, Any]:
    response = await api.post("/v1/executions", params={"wait": "true", **params}, json=payload)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "finished"
    return body
