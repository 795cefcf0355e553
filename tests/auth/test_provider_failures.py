"""When the providers fail or answer wrongly: Twilio Verify rate limiting, down or refusing a
code (the real twilio SDK against the local Verify server), and Google ID tokens that must not be
trusted (authlib against the local OpenID Connect provider). Never a 500, never a session."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.auth.app import create_app
from shared.db.models import User
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth.test_oauth import flow, google_user
from tests.auth_support import AuthService, auth_settings, fresh_phone
from tests.conftest import free_port, serve

PROBLEM = "application/problem+json"


async def users_with(sessions: async_sessionmaker[AsyncSession], **column: str) -> int:
    ((name, value),) = column.items()
    async with sessions() as session:
        stmt = select(func.count()).select_from(User).where(getattr(User, name) == value)
        return int((await session.execute(stmt)).scalar_one())


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/otp-unavailable")
    assert int(response.headers["retry-after"]) >= 1


# --- Twilio Verify


OUTAGES: dict[str, Callable[[FakeTwilio], None]] = {
    "rate limited (429, 20429)": lambda t: t.fail_next(429, 20429, "Too many requests"),
    "server error (500)": lambda t: t.fail_next(500, 20500, "Internal Server Error"),
    "unavailable (503)": lambda t: t.fail_next(503, 20503, "Service Unavailable"),
    "HTML from a proxy (502)": lambda t: t.fail_next_from_proxy(502),
    "RFC 9457 body (500)": lambda t: t.fail_next_as_problem(500, 20500),
}


@pytest.mark.parametrize("outage", OUTAGES.values(), ids=OUTAGES.keys())
async def test_twilio_failing_to_send_is_503_and_can_be_retried(
    auth: AuthService, twilio: FakeTwilio, outage: Callable[[FakeTwilio], None]
) -> None:
    phone = fresh_phone("415")
    outage(twilio)
    failed = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert_unavailable(failed)
    assert phone not in twilio.codes
    # Nothing was sent, so no resend cooldown holds the person back once Twilio is back.
    retried = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert retried.status_code == 202, retried.text
    assert phone in twilio.codes


@pytest.mark.parametrize(
    ("status", "code"), [(400, 60200), (400, 60205), (403, 60410)], ids=["invalid", "landline", "blocked"]
)
async def test_a_number_twilio_cannot_reach_is_422_not_503(
    auth: AuthService, twilio: FakeTwilio, status: int, code: int
) -> None:
    phone = fresh_phone("415")
    twilio.fail_next(status, code, "The destination cannot receive SMS")
    refused = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["errors"][0]["loc"] == ["body", "phone"]
    assert phone not in twilio.codes
    # Not an outage, and nothing was sent: no cooldown either.
    retried = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert retried.status_code == 202, retried.text


@pytest.mark.parametrize("outage", OUTAGES.values(), ids=OUTAGES.keys())
async def test_twilio_failing_to_check_is_503_and_signs_nobody_in(
    auth: AuthService,
    twilio: FakeTwilio,
    sessions: async_sessionmaker[AsyncSession],
    outage: Callable[[FakeTwilio], None],
) -> None:
    phone = fresh_phone("415")
    assert (await auth.client.post("/auth/v1/phone/start", json={"phone": phone})).status_code == 202
    outage(twilio)
    failed = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": twilio.codes[phone]})
    assert_unavailable(failed)
    assert "access_token" not in failed.json()
    assert await users_with(sessions, phone=phone) == 0
    # The code still works once Twilio answers again.
    verified = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": twilio.codes[phone]})
    assert verified.status_code == 200, verified.text
    assert await users_with(sessions, phone=phone) == 1


async def test_twilio_unreachable_is_503(database: str, twilio: FakeTwilio, providers: FakeProviders) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    app = create_app(auth_settings(twilio, providers, port, twilio_verify_url=nothing_listens))
    async with serve(app, port=port) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/auth/v1/phone/start", json={"phone": fresh_phone("415")})
    assert_unavailable(response)


@pytest.mark.parametrize("code", [60202, 60203], ids=["max check attempts", "max send attempts"])
async def test_twilio_exhausting_a_verification_is_429_not_503(
    auth: AuthService, twilio: FakeTwilio, code: int
) -> None:
    phone = fresh_phone("415")
    assert (await auth.client.post("/auth/v1/phone/start", json={"phone": phone})).status_code == 202
    twilio.fail_next(429, code, "Max attempts reached")
    response = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": twilio.codes[phone]})
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 60


@pytest.mark.parametrize("status", ["expired", "canceled", "max_attempts_reached", "pending"])
async def test_a_code_twilio_does_not_approve_is_401(
    auth: AuthService, twilio: FakeTwilio, sessions: async_sessionmaker[AsyncSession], status: str
) -> None:
    phone = fresh_phone("415")
    assert (await auth.client.post("/auth/v1/phone/start", json={"phone": phone})).status_code == 202
    twilio.check_status = status
    try:
        response = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": twilio.codes[phone]})
    finally:
        twilio.check_status = None
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/invalid-code")
    assert await users_with(sessions, phone=phone) == 0


async def test_an_unknown_verification_is_401(
    auth: AuthService, twilio: FakeTwilio, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Twilio answers 404 once a verification expired (or was never started).
    phone = fresh_phone("415")
    response = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": "123456"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/invalid-code")
    assert await users_with(sessions, phone=phone) == 0


# --- Google ID tokens


@pytest.fixture
async def browser(auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth.url, timeout=30) as client:
        yield client


def expired() -> dict[str, Any]:
    # Well beyond authlib's two minutes of leeway for clock skew.
    now = int(time.time())
    return {"iat": now - 3600, "exp": now - 1800}


BAD_ID_TOKENS: dict[str, Callable[[FakeProviders], dict[str, Any]]] = {
    "wrong nonce": lambda p: {"nonce": "a-nonce-from-another-sign-in"},
    "no nonce": lambda p: {"nonce": None},
    "wrong issuer": lambda p: {"iss": "https://accounts.evil.example"},
    "wrong audience": lambda p: {"aud": "someone-elses-client"},
    "expired": lambda p: expired(),
    "no subject": lambda p: {"sub": None},
}


async def assert_signed_nobody_in(
    response: httpx.Response, browser: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], email: str
) -> None:
    """The sign-in was refused as a problem, and left no session and no user."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/oauth-failed")
    assert "crh_access" not in response.cookies
    assert (await browser.get("/auth/v1/me")).status_code == 401
    assert await users_with(sessions, email=email) == 0


@pytest.mark.parametrize("bad", BAD_ID_TOKENS.values(), ids=BAD_ID_TOKENS.keys())
async def test_an_untrustworthy_id_token_signs_nobody_in(
    browser: httpx.AsyncClient,
    providers: FakeProviders,
    sessions: async_sessionmaker[AsyncSession],
    bad: Callable[[FakeProviders], dict[str, Any]],
) -> None:
    email = f"mallory-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    providers.id_token_overrides = bad(providers)
    try:
        response = await flow(browser, "google")
    finally:
        providers.id_token_overrides = {}
    await assert_signed_nobody_in(response, browser, sessions, email)


async def test_a_token_answer_without_an_id_token_signs_nobody_in(
    browser: httpx.AsyncClient, providers: FakeProviders, sessions: async_sessionmaker[AsyncSession]
) -> None:
    email = f"no-id-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    providers.omit_id_token = True
    try:
        response = await flow(browser, "google")
    finally:
        providers.omit_id_token = False
    await assert_signed_nobody_in(response, browser, sessions, email)


async def test_the_same_flow_with_a_good_id_token_signs_in(
    browser: httpx.AsyncClient, providers: FakeProviders, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The refusals above are about the ID token, not the flow: unchanged, it succeeds."""
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    providers.google_user = google_user(email)
    response = await flow(browser, "google")
    assert response.status_code == 303, response.text
    assert await users_with(sessions, email=email) == 1
