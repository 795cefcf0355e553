"""CORS for configured origins (cors_origins), against a served gateway: preflights answered for the
API's methods and headers, refusals (401, 429) readable by an allowed page, nothing for other
origins or when no origin is configured, and never credentials (the session cookies stay same-origin)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService, bearer
from tests.product.conftest import MakeAccount, gateway

ALLOWED = "https://integrator.example"
OTHER = "https://evil.example"
ROOMY = RateLimitPolicy(executions="1000/minute", reads="1000/minute", writes="1000/minute", max_in_flight=1000)

pytestmark = pytest.mark.usefixtures("fresh_limits")


def preflight(origin: str, method: str, headers: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@pytest_asyncio.fixture(scope="module")
async def cors_gw(auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing here runs code: no executor needed.
    async with gateway(auth, cors_origins=[ALLOWED], user_rate_limits=ROOMY, anonymous_rate_limits=ROOMY) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/v1/executions", "POST", "authorization, content-type, idempotency-key"),
        ("/v1/stream-tickets", "POST", "authorization, content-type"),
        ("/v1/snippets/0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6", "PATCH", "authorization, content-type, if-match"),
        ("/v1/executions/0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6", "GET", "authorization, x-request-id"),
        ("/judge0/submissions", "POST", "x-auth-token, content-type"),
    ],
)
async def test_preflight_from_an_allowed_origin(
    cors_gw: httpx.AsyncClient, path: str, method: str, headers: str
) -> None:
    answer = await cors_gw.options(path, headers=preflight(ALLOWED, method, headers))
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert method.lower() in listed(answer.headers["access-control-allow-methods"])
    assert listed(headers) <= listed(answer.headers["access-control-allow-headers"])
    assert "origin" in listed(answer.headers["vary"])
    # API keys and tokens travel in Authorization: no cookies cross origins.
    assert "access-control-allow-credentials" not in answer.headers
    # Answered before rate limiting: a preflight spends nothing and carries no budget.
    assert "ratelimit" not in answer.headers


async def test_a_disallowed_origin_gets_no_cors_headers(cors_gw: httpx.AsyncClient) -> None:
    refused = await cors_gw.options("/v1/executions", headers=preflight(OTHER, "POST", "authorization, content-type"))
    # Answered as if CORS were off: OPTIONS is no method of the API.
    assert refused.status_code == 405
    assert not [name for name in refused.headers if name.startswith("access-control-")]
    plain = await cors_gw.get("/v1/config", headers={"Origin": OTHER})
    assert plain.status_code == 200
    assert not [name for name in plain.headers if name.startswith("access-control-")]
    assert "origin" in listed(plain.headers["vary"])
    # A method the API does not take is not allowed either, from any origin.
    odd = await cors_gw.options("/v1/executions", headers=preflight(ALLOWED, "TRACE", "content-type"))
    assert odd.status_code == 400


async def test_responses_expose_what_integrators_read(cors_gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    created = await cors_gw.post(
        "/v1/stream-tickets", headers={**account.headers, "Origin": ALLOWED, "X-Request-ID": "page-request-0001"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in created.headers
    exposed = listed(created.headers["access-control-expose-headers"])
    for header in ("ratelimit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "location", "x-request-id"):
        assert header in exposed, header
    # ... and they are really there to read.
    assert created.headers["x-request-id"] == "page-request-0001"
    assert "ratelimit-remaining" in created.headers


async def test_problems_carry_cors_headers(cors_gw: httpx.AsyncClient) -> None:
    unauthorized = await cors_gw.post("/v1/stream-tickets", headers={**bearer("not-a-token"), "Origin": ALLOWED})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["content-type"] == "application/problem+json"
    assert unauthorized.headers["access-control-allow-origin"] == ALLOWED
    assert "www-authenticate" in listed(unauthorized.headers["access-control-expose-headers"])
    # Refused by the request bounds, before any route: still readable by the page.
    unsupported = await cors_gw.post(
        "/v1/executions", content=b"print(1)", headers={"Origin": ALLOWED, "Content-Type": "text/plain"}
    )
    assert unsupported.status_code == 415
    assert unsupported.headers["access-control-allow-origin"] == ALLOWED


async def test_a_rate_limited_page_can_read_the_429(auth: AuthService, make_account: MakeAccount) -> None:
    tiny = RateLimitPolicy(executions="5/minute", reads="5/minute", writes="1/minute")
    async with gateway(auth, cors_origins=[ALLOWED], user_rate_limits=tiny) as client:
        account = await make_account()
        headers = {**account.headers, "Origin": ALLOWED}
        assert (await client.post("/v1/stream-tickets", headers=headers)).status_code == 201
        limited = await client.post("/v1/stream-tickets", headers=headers)
        assert limited.status_code == 429, limited.text
        assert limited.headers["access-control-allow-origin"] == ALLOWED
        assert {"retry-after", "ratelimit"} <= listed(limited.headers["access-control-expose-headers"])
        assert int(limited.headers["retry-after"]) > 0
        # Preflights are not charged: the page can still ask, and learn it must wait.
        asked = await client.options("/v1/stream-tickets", headers=preflight(ALLOWED, "POST", "authorization"))
        assert asked.status_code == 200


async def test_no_cors_without_configured_origins(auth: AuthService) -> None:
    async with gateway(auth) as client:
        answer = await client.options("/v1/executions", headers=preflight(ALLOWED, "POST", "content-type"))
        assert not [name for name in answer.headers if name.startswith("access-control-")]
        plain = await client.get("/v1/config", headers={"Origin": ALLOWED})
        assert not [name for name in plain.headers if name.startswith("access-control-")]
