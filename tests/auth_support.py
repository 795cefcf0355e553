"""Fixtures (a pytest plugin, see tests/conftest.py): the auth service, served with its external
providers replaced by local servers that speak
their protocols, and a gateway that verifies its tokens."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import redis
from fastapi import FastAPI

from services.auth.app import create_app as create_auth_app
from services.gateway.app import create_app as create_gateway_app
from shared.redis_keys import otp_key
from shared.settings import AuthSettings
from tests.auth.fakes import TWILIO_ACCOUNT, TWILIO_SERVICE, TWILIO_TOKEN, FakeProviders, FakeTwilio
from tests.conftest import free_port, gateway_settings, serve


@pytest_asyncio.fixture(scope="module")
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    async with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest_asyncio.fixture(scope="module")
async def providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    port = free_port()
    fake.base_url = f"http://127.0.0.1:{port}"
    async with serve(fake.app(), port=port):
        yield fake


ADMIN_PHONE = "+14155550000"


def fresh_phone(area: str = "628") -> str:
    """A valid US number no test has used: 8,000,000 per area code, so that accounts piling up in
    the test database over many runs do not hand a test someone else's account."""
    return f"+1{area}{secrets.choice(range(200, 1000))}{secrets.randbelow(10_000):04d}"


def auth_settings(twilio: FakeTwilio, providers: FakeProviders, port: int, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "public_url": f"http://127.0.0.1:{port}",
        "twilio_account_sid": TWILIO_ACCOUNT,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_verify_service_sid": TWILIO_SERVICE,
        "twilio_verify_url": twilio.url,  # type: ignore[attr-defined]
        "google_client_id": providers.client_id,
        "google_client_secret": providers.client_secret,
        "google_discovery_url": f"{providers.base_url}/google/.well-known/openid-configuration",
        "github_client_id": providers.client_id,
        "github_client_secret": providers.client_secret,
        "github_authorize_url": f"{providers.base_url}/github/login/oauth/authorize",
        "github_token_url": f"{providers.base_url}/github/login/oauth/access_token",
        "github_api_url": f"{providers.base_url}/github/api/",
        "otp_resend_cooldown_s": 1,
        # Every test signs in from 127.0.0.1; test_phone checks this limit on its own service.
        "otp_starts_per_address_per_hour": 100_000,
        # The admin's number signs in once per test module that needs an admin.
        "otp_starts_per_hour": 1_000,
        "admins": [ADMIN_PHONE],
        **overrides,
    }
    return AuthSettings(**values)


class AuthService:
    def __init__(self, app: FastAPI, url: str, client: httpx.AsyncClient) -> None:
        self.app = app
        self.url = url
        self.client = client

    @property
    def state(self) -> Any:
        return self.app.state.auth


@pytest_asyncio.fixture(scope="module")
async def auth(
    twilio: FakeTwilio, providers: FakeProviders, database: str, redis_client: redis.Redis
) -> AsyncIterator[AuthService]:
    port = free_port()
    app = create_auth_app(auth_settings(twilio, providers, port))
    async with serve(app, port=port) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield AuthService(app, url, client)


@pytest_asyncio.fixture(scope="module")
async def gateway(auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway trusting this auth service's keys."""
    settings = gateway_settings(auth_jwks_url=f"{auth.url}/auth/v1/.well-known/jwks.json")
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield client


def forget_otp(auth: AuthService, phone: str) -> None:
    """Clear a number's sign-in counters (resend cooldown, per-number cap, wrong guesses), so a
    sign-in with a fixed number (ADMIN_PHONE serves many modules) does not depend on what other
    modules or earlier runs did with it."""
    e164 = "+" + "".join(c for c in phone if c.isdigit())
    client = redis.Redis.from_url(auth.state.settings.redis_url.get_secret_value())
    try:
        client.delete(*(otp_key(kind, e164) for kind in ("cooldown", "starts", "attempts")))
    finally:
        client.close()


async def phone_sign_in(auth: AuthService, twilio: FakeTwilio, phone: str, **extra: Any) -> dict[str, Any]:
    forget_otp(auth, phone)
    started = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert started.status_code == 202, started.text
    e164 = started.json()["phone"]
    verified = await auth.client.post(
        "/auth/v1/phone/verify", json={"phone": e164, "code": twilio.codes[e164], **extra}
    )
    assert verified.status_code == 200, verified.text
    body: dict[str, Any] = verified.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def probe(gateway: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """The gateway's verdict on credentials: 404 (accepted; no such execution) or 401/403."""
    return (await gateway.get(f"/v1/executions/{uuid.uuid4()}", headers=headers)).status_code
