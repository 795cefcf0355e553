"""The product API as users meet it: a real auth service (phone sign-in through the twilio SDK
against a local Verify server), a gateway trusting its keys, and the session's real executor."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.app import create_app as create_gateway_app
from shared.db.models import Execution
from tests.auth.fakes import FakeTwilio
from tests.auth_support import ADMIN_PHONE, AuthService, bearer, forget_otp, fresh_phone
from tests.conftest import gateway_settings, serve


@dataclass(frozen=True)
class Account:
    user: dict[str, Any]
    access_token: str
    refresh_token: str

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


async def sign_in(auth: AuthService, twilio: FakeTwilio, phone: str) -> Account:
    """Phone sign-in, with the number's OTP counters reset first (ADMIN_PHONE signs in in every module)."""
    forget_otp(auth, phone)
    started = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert started.status_code == 202, started.text
    e164 = started.json()["phone"]
    verified = await auth.client.post("/auth/v1/phone/verify", json={"phone": e164, "code": twilio.codes[e164]})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    return Account(body["user"], body["access_token"], body["refresh_token"])


MakeAccount = Callable[[], Awaitable[Account]]


@pytest.fixture
def make_account(auth: AuthService, twilio: FakeTwilio) -> MakeAccount:
    """A new user (a fresh phone number) per call."""

    async def make() -> Account:
        return await sign_in(auth, twilio, fresh_phone("628"))

    return make


@pytest_asyncio.fixture(scope="module")
async def admin(auth: AuthService, twilio: FakeTwilio) -> Account:
    account = await sign_in(auth, twilio, ADMIN_PHONE)
    assert account.user["role"] == "admin"
    return account


def product_settings(auth: AuthService, **overrides: Any) -> Any:
    return gateway_settings(auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json", **overrides)


@pytest_asyncio.fixture(scope="module")
async def gw(auth: AuthService, executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway trusting the auth service's keys, with the session's executor behind it."""
    app = create_gateway_app(product_settings(auth))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=120) as client:
        yield client


@pytest.fixture
def fresh_limits(redis_client: redis.Redis) -> None:
    """Empty rate-limit windows and in-flight sets (every gateway here calls from 127.0.0.1)."""
    for pattern in ("crh:ratelimit*", "crh:inflight:*"):
        for key in redis_client.scan_iter(match=pattern):
            redis_client.delete(key)


@asynccontextmanager
async def gateway(auth: AuthService, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway of its own, with ``overrides`` on the product settings."""
    app = create_gateway_app(product_settings(auth, **overrides))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=120) as client:
        yield client


async def executions_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Executions persisted (only persisted ones are ever queued)."""
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Execution))).scalar_one())
