"""The TypeScript SDK (clients/typescript) against the product as users meet it: a real auth
service, served gateways trusting it and the session's real executor (tests/product/conftest.py).
Node runs the built SDK (`make ts-sdk`) in a subprocess, so the gateway on this test's event loop
keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.auth_support import AuthService
from tests.product.conftest import MakeAccount, admin, fresh_limits, gw, make_account

__all__ = ["admin", "fresh_limits", "gw", "make_account"]

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "clients" / "typescript"
# No Node script may run longer than this: a stuck one fails its test, never hangs the run.
WAIT_S = 180
SCOPES = ["executions:read", "executions:write", "snippets:read", "snippets:write", "account:read"]


@pytest.fixture(scope="session", autouse=True)
def sdk_build() -> Path:
    """The SDK's dist/: `make ts-sdk` (npm ci and tsc only when something changed)."""
    subprocess.run(["make", "-s", "ts-sdk"], cwd=ROOT, check=True, timeout=600)
    assert (SDK / "dist" / "index.js").is_file()
    return SDK / "dist"


@pytest_asyncio.fixture
async def api_key(auth: AuthService, make_account: MakeAccount) -> str:
    """A new user's key with every scope (a new user: in-flight caps and budgets are per user and key)."""
    account = await make_account()
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=account.headers, json={"name": "ts sdk", "scopes": SCOPES}
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


async def node(script: Path, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run a Node script; its last stdout line is the JSON it saw."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        *args,
        cwd=SDK,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), WAIT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, (
        f"node {script.name} {' '.join(args)} failed ({proc.returncode}):\n{out.decode()}\n{err.decode()}"
    )
    lines = out.decode().strip().splitlines()
    assert lines, err.decode()
    result: dict[str, Any] = json.loads(lines[-1])
    return result
