"""The SDK and the `crh` CLI against the product as users meet it: a real auth service (phone
sign-in through the fake Twilio Verify server), a served gateway trusting it, and the session's
real executor (tests/product/conftest.py).

The gateway runs on this test's event loop: the blocking Client and the CLI run off it (a thread,
a subprocess), never blocking it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import pytest_asyncio
from coderunhub import AsyncClient

from tests.auth_support import AuthService
from tests.product.conftest import Account, MakeAccount, admin, fresh_limits, gw, make_account

__all__ = ["admin", "fresh_limits", "gw", "make_account"]

ROOT = Path(__file__).resolve().parents[2]
CRH = ROOT / ".venv" / "bin" / "crh"
ALL_SCOPES = ["executions:read", "executions:write", "snippets:read", "snippets:write", "account:read"]
# No subprocess or socket read waits longer than this: a stuck one fails the test, never hangs it.
WAIT_S = 120
T = TypeVar("T")


async def collect(items: AsyncIterator[T], timeout: float = WAIT_S) -> list[T]:
    """Everything an async iterator yields, within ``timeout``."""

    async def gather() -> list[T]:
        return [item async for item in items]

    return await asyncio.wait_for(gather(), timeout)


@pytest.fixture
def url(gw: httpx.AsyncClient) -> str:
    return str(gw.base_url).rstrip("/")


async def create_key(auth: AuthService, account: Account, scopes: list[str] | None = None) -> str:
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=account.headers, json={"name": "sdk tests", "scopes": scopes or ALL_SCOPES}
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


@pytest_asyncio.fixture
async def api_key(auth: AuthService, make_account: MakeAccount) -> str:
    """A new user's key with every scope."""
    return await create_key(auth, await make_account())


@pytest_asyncio.fixture
async def client(url: str, api_key: str) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(url, api_key=api_key) as sdk:
        yield sdk


@pytest_asyncio.fixture
async def anonymous(url: str) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(url, api_key=None) as sdk:
        yield sdk


@dataclass(frozen=True)
class Done:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_env(url: str, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: this gateway, a config directory of the test's own, no key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRH_")}
    return {**env, "CRH_URL": url, "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONUNBUFFERED": "1"}


async def crh(*args: str, env: Mapping[str, str], stdin: bytes | None = None, cwd: Path | None = None) -> Done:
    """Run the installed `crh` as a subprocess (asyncio's: the gateway keeps serving meanwhile)."""
    proc = await asyncio.create_subprocess_exec(
        str(CRH),
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), WAIT_S)
    assert proc.returncode is not None
    return Done(proc.returncode, out.decode(), err.decode())


def program(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path
