"""schemathesis fuzzes every operation of the served gateway's OpenAPI, anonymously and as a
signed-in user: no server errors, and every response (status, content type, headers, body) fits
the document.

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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp

from services.gateway.app import create_app as create_gateway_app
from shared.settings import GatewaySettings
from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
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
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", timeout_keep_alive=75)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzzed-gateway", daemon=True)
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


def test_the_fuzzed_document_covers_the_api() -> None:
    operations = {f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item}
    assert {"POST /v1/executions", "GET /v1/executions/{execution_id}", "GET /v1/languages"} <= operations
