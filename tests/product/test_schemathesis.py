"""schemathesis fuzzes every operation of the served gateway's OpenAPI, anonymously and as a
signed-in user, and every operation of the served auth service's as an administrator: no server
errors, and every response (status, content type, headers, body) fits the document. A guard checks,
for both apps, that the operations fuzzed are exactly the routes the app serves (bar a named few).

The operations are collected from the gateway app's document (so each is its own test id; the
served gateway's /openapi.json is checked to be that same document) and called on the served gateway.

schemathesis' pytest tests are synchronous (hypothesis, requests), so while they run the session's
event loop is idle: this gateway is served from a thread with its own loop. It verifies tokens
against the auth service (served by the session loop), so its key cache is warmed first."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
import schemathesis
import uvicorn
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount, WebSocketRoute
from starlette.types import ASGIApp

from services.auth.app import create_app as create_auth_app
from services.gateway.app import create_app as create_gateway_app
from shared.db.models import User
from shared.settings import AuthSettings, GatewaySettings
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import ADMIN_PHONE, AuthService, auth_settings, fresh_phone
from tests.conftest import free_port
from tests.product.conftest import product_settings, sign_in

# What the issue asks: no server errors, no response outside the document. (Not
# negative_data_rejection: pydantic's lax mode accepts e.g. a number for a date-time, by design.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Bounded runtime: a few dozen cases per operation (plus the documented examples).
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", timeout_keep_alive=75)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzzed-service", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)


@dataclass(frozen=True)
class Target:
    url: str
    user_headers: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def target(auth: AuthService, twilio: FakeTwilio, executor: object) -> AsyncIterator[Target]:
    # A short wait: fuzzed `wait=true` submissions answer 202 soon rather than holding a worker.
    app = create_gateway_app(product_settings(auth, wait_timeout_s=2, jwks_refresh_s=3_600))
    with serve_in_thread(app) as url:
        account = await sign_in(auth, twilio, fresh_phone("628"))
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            for _ in range(250):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.02)
            # Verifying a token now (the session loop is running) caches the auth service's keys.
            warm = await client.get(f"/v1/executions/{uuid.uuid4()}", headers=account.headers)
            assert warm.status_code == 404, warm.text
            live = await client.get("/openapi.json")
            assert live.json() == DOCUMENT, "the served document differs from the one fuzzed"
        yield Target(url, account.headers)


# (schemathesis' lazy `from_fixture` schemas do not work with pytest 9: they set Node._nodeid.)
DOCUMENT = create_gateway_app(GatewaySettings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@FUZZ
def test_anonymous(case: schemathesis.Case[Any], target: Target) -> None:
    case.call_and_validate(base_url=target.url, checks=CHECKS, timeout=30)


@schema.parametrize()
@FUZZ
def test_signed_in(case: schemathesis.Case[Any], target: Target) -> None:
    case.call_and_validate(base_url=target.url, headers=target.user_headers, checks=CHECKS, timeout=30)


async def wait_until_healthy(client: httpx.AsyncClient) -> None:
    for _ in range(250):
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.02)


# --- the auth service, fuzzed as an administrator


@dataclass(frozen=True)
class AuthTarget:
    url: str
    admin_headers: Callable[[], dict[str, str]]


@pytest_asyncio.fixture(scope="module")
async def auth_target(database: str, redis_client: redis.Redis) -> AsyncIterator[AuthTarget]:
    """The auth service and the Twilio and OpenID servers it calls, each on its own thread's loop
    (the session loop is idle while the synchronous fuzzing runs)."""
    twilio, providers = FakeTwilio(), FakeProviders()
    providers_port, port = free_port(), free_port()
    providers.base_url = f"http://127.0.0.1:{providers_port}"
    with serve_in_thread(twilio.app()) as twilio_url, serve_in_thread(providers.app(), providers_port):
        twilio.url = twilio_url  # type: ignore[attr-defined]
        app = create_auth_app(auth_settings(twilio, providers, port))
        with serve_in_thread(app, port) as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                await wait_until_healthy(client)
                live = await client.get("/openapi.json")
                assert live.json() == AUTH_DOCUMENT, "the served document differs from the one fuzzed"
                started = await client.post("/auth/v1/phone/start", json={"phone": ADMIN_PHONE})
                assert started.status_code == 202, started.text
                verified = await client.post(
                    "/auth/v1/phone/verify", json={"phone": ADMIN_PHONE, "code": twilio.codes[ADMIN_PHONE]}
                )
                assert verified.status_code == 200, verified.text
                admin = verified.json()["user"]
                assert admin["role"] == "admin"
            tokens = app.state.auth.tokens
            identity = User(id=uuid.UUID(admin["id"]), role=admin["role"])

            def admin_headers() -> dict[str, str]:
                # A new access token per case: fuzzing /logout revokes the one it is given.
                return {"Authorization": f"Bearer {tokens.access_token(identity)}"}

            yield AuthTarget(url, admin_headers)


AUTH_DOCUMENT = create_auth_app(AuthSettings()).openapi()
auth_schema = schemathesis.openapi.from_dict(AUTH_DOCUMENT)


@auth_schema.parametrize()
@FUZZ
def test_auth_service_as_admin(case: schemathesis.Case[Any], auth_target: AuthTarget) -> None:
    # Redirects are answers to check (the OAuth sign-in's 302 and 303), not hops to follow.
    case.call_and_validate(
        base_url=auth_target.url,
        headers=auth_target.admin_headers(),
        checks=CHECKS,
        timeout=30,
        allow_redirects=False,
    )


# --- what is fuzzed is what is served

# FastAPI's own pages and the Prometheus scrape are served but are not the API.
NOT_THE_API = {
    *(
        f"{method} {path}"
        for method in ("GET", "HEAD")
        for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
    ),
    "GET /metrics",
}
# The auth service serves its document but no pages for it (services/auth/app.py).
AUTH_NOT_THE_API = {"GET /openapi.json", "HEAD /openapi.json", "GET /metrics"}
# OpenAPI cannot describe WebSockets (tests/api covers them), and the mount serves the web app's pages.
GATEWAY_NOT_IN_OPENAPI = {
    "WEBSOCKET /v1/executions/interactive",
    "WEBSOCKET /v1/executions/{execution_id}/stream",
    # Collaborative sessions: the y-websocket socket and a shared run's stream (docs/api.md).
    "WEBSOCKET /v1/collab/sessions/{session_id}/socket",
    "WEBSOCKET /v1/collab/sessions/{session_id}/socket/{room}",
    "WEBSOCKET /v1/collab/sessions/{session_id}/runs/{execution_id}/stream",
    # ... and the WebRTC signaling socket (y-webrtc's protocol).
    "WEBSOCKET /v1/collab/sessions/{session_id}/signal",
    "MOUNT /{path}",
}
# Judge0's and Piston's shapes of the API (docs/compat.md) are other APIs' contracts, not ours:
# tests/compat checks them and tests/unit/test_compat_fuzz.py fuzzes their request readers.
COMPAT_OPERATIONS = {
    *(f"{method} /judge0/{path}" for method, path in (("GET", "about"), ("GET", "version"), ("GET", "statuses"))),
    *(f"GET /judge0/{path}" for path in ("system_info", "config_info", "languages", "languages/all")),
    "GET /judge0/languages/{language_id}",
    "POST /judge0/authenticate",
    "POST /judge0/authorize",
    *(f"{method} /judge0/submissions" for method in ("GET", "POST")),
    *(f"{method} /judge0/submissions/batch" for method in ("GET", "POST")),
    *(f"{method} /judge0/submissions/{{token}}" for method in ("GET", "DELETE")),
    "GET /api/v2/runtimes",
    "POST /api/v2/execute",
    "WEBSOCKET /api/v2/connect",
}


def served_operations(app: FastAPI) -> set[str]:
    """Every method and path the app answers, from its routes (FastAPI's included routers too)."""
    served: set[str] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path_format or route.path
        if (
            isinstance(route.original_route, WebSocketRoute)
            or "websocket" in type(route.original_route).__name__.lower()
        ):
            served.add(f"WEBSOCKET {path}")
        elif isinstance(route.original_route, Mount) or route.methods is None:
            served.add(f"MOUNT {path}")
        else:
            served.update(f"{method} {path}" for method in route.methods)
    return served


def fuzzed_operations(fuzzed: schemathesis.BaseSchema) -> set[str]:
    operations = set()
    for result in fuzzed.get_all_operations():
        assert isinstance(result, Ok), f"schemathesis cannot fuzz an operation: {result.err()}"
        operation = result.ok()
        operations.add(f"{operation.method.upper()} {operation.path}")
    return operations


@pytest.mark.parametrize(
    ("app", "fuzzed", "not_in_openapi"),
    [
        (create_gateway_app(GatewaySettings()), schema, NOT_THE_API | GATEWAY_NOT_IN_OPENAPI | COMPAT_OPERATIONS),
        (create_auth_app(AuthSettings()), auth_schema, AUTH_NOT_THE_API),
    ],
    ids=["gateway", "auth"],
)
def test_every_served_route_is_fuzzed(app: FastAPI, fuzzed: schemathesis.BaseSchema, not_in_openapi: set[str]) -> None:
    served = served_operations(app)
    assert not_in_openapi <= served, "a route named as not in the document is no longer served"
    assert fuzzed_operations(fuzzed) == served - not_in_openapi


def test_the_fuzzed_document_covers_the_api() -> None:
    operations = {f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item}
    assert {"POST /v1/executions", "GET /v1/executions/{execution_id}", "GET /v1/languages"} <= operations
