"""Judge0's callbacks: the executor PUTs the finished submission (default attributes, base64) to
callback_url, through the same SSRF-guarded webhook path as native callbacks (a local receiver on
127.0.0.1, which this test's gateway and the session executor allow)."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.gateway.app import create_app as create_gateway_app
from shared.compat.judge0.attributes import DEFAULT_FIELDS
from tests.auth_support import AuthService
from tests.conftest import serve
from tests.product.conftest import MakeAccount, product_settings

Seen = list[tuple[str, str, dict[str, Any]]]


@pytest_asyncio.fixture(scope="module")
async def receiver() -> AsyncIterator[tuple[str, Seen]]:
    seen: Seen = []

    async def hook(request: Request) -> Response:
        seen.append((request.method, request.url.path, json.loads(await request.body())))
        return Response("ok")

    async with serve(Starlette(routes=[Route("/{path:path}", hook, methods=["PUT", "POST"])])) as url:
        yield url, seen


@pytest_asyncio.fixture(scope="module")
async def hook_gw(auth: AuthService, executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    settings = product_settings(auth, webhook_allowed_networks=["127.0.0.0/8"])
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=120) as client:
        yield client


async def test_callback_is_a_put_of_the_submission(
    hook_gw: httpx.AsyncClient, make_account: MakeAccount, receiver: tuple[str, Seen]
) -> None:
    url, seen = receiver
    me = await make_account()
    created = await hook_gw.post(
        "/judge0/submissions",
        headers=me.headers,
        json={"source_code": "print('called back')", "language_id": 71, "callback_url": f"{url}/judge0-hook"},
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    for _ in range(600):
        if any(path == "/judge0-hook" for _, path, _ in seen):
            break
        await asyncio.sleep(0.1)
    method, _, body = next(item for item in seen if item[1] == "/judge0-hook")
    assert method == "PUT"
    assert set(body) == set(DEFAULT_FIELDS)
    assert body["token"] == token
    assert body["status"] == {"id": 3, "description": "Accepted"}
    assert base64.b64decode(body["stdout"]) == b"called back\n"
    shown = await hook_gw.get(f"/judge0/submissions/{token}", headers=me.headers, params={"fields": "callback_url"})
    assert shown.json() == {"callback_url": f"{url}/judge0-hook"}


async def test_callbacks_keep_the_ssrf_rules(hook_gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    anonymous = await hook_gw.post(
        "/judge0/submissions",
        json={"source_code": "print(1)", "language_id": 71, "callback_url": "http://127.0.0.1:9/x"},
    )
    assert anonymous.status_code == 422
    assert list(anonymous.json()) == ["callback_url"]
    me = await make_account()
    private = await hook_gw.post(
        "/judge0/submissions",
        headers=me.headers,
        json={"source_code": "print(1)", "language_id": 71, "callback_url": "http://169.254.169.254/latest"},
    )
    assert private.status_code == 422
    assert list(private.json()) == ["callback_url"]
