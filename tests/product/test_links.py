"""Executions' links are absolute URLs of where the caller reached the API: http(s) for the
execution, ws(s) for its stream, following X-Forwarded-Proto from the (trusted) proxy in front, or
the public_url setting when it is absolute; every response that carries an execution agrees."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.auth_support import AuthService
from tests.product.conftest import MakeAccount, gateway

WS_S = 60
QUICK = {"language": "python", "source": "print('quick')"}


async def result_frame(url: str, **headers: str) -> dict[str, Any]:
    frames: list[dict[str, Any]] = []
    async with connect(url, additional_headers=headers) as ws, asyncio.timeout(WS_S):
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
    assert frames[-1]["type"] == "result", frames
    execution: dict[str, Any] = frames[-1]["execution"]
    return execution


def expected(base: str, ws_base: str, execution_id: str) -> dict[str, str]:
    path = f"/v1/executions/{execution_id}"
    return {"self": base + path, "stream": ws_base + path + "/stream"}


async def test_links_are_absolute_everywhere(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    base = str(gw.base_url).rstrip("/")
    ws_base = base.replace("http://", "ws://", 1)
    account = await make_account()
    created = await gw.post("/v1/executions?wait=true", json=QUICK, headers=account.headers)
    assert created.status_code == 200, created.text
    execution_id = created.json()["id"]
    links = expected(base, ws_base, execution_id)
    assert created.json()["links"] == links
    # The Location header stays a path (it is resolved against the request's URL anyway).
    assert created.headers["location"] == f"/v1/executions/{execution_id}"

    # Followed as they are: the execution, and its stream, whose result carries the same links.
    fetched = await gw.get(links["self"], headers=account.headers)
    assert fetched.json()["links"] == links
    assert (await result_frame(links["stream"], **account.headers))["links"] == links
    history = (await gw.get("/v1/executions", headers=account.headers)).json()
    assert history["items"][0]["links"] == links
    batch = await gw.post("/v1/batches", json={"executions": [QUICK]}, headers=account.headers)
    assert batch.status_code == 202, batch.text
    member = batch.json()["executions"][0]
    assert member["links"] == expected(base, ws_base, member["id"])


async def test_forwarded_proto_https_gives_wss(gw: httpx.AsyncClient) -> None:
    # What nginx sends (deploy/nginx): uvicorn trusts it from 127.0.0.1, its forwarded_allow_ips.
    proxied = {"X-Forwarded-Proto": "https", "Host": "api.example.test"}
    created = await gw.post("/v1/executions?wait=true", json=QUICK, headers=proxied)
    assert created.status_code == 200, created.text
    execution_id = created.json()["id"]
    links = expected("https://api.example.test", "wss://api.example.test", execution_id)
    assert created.json()["links"] == links

    # The stream's result frame follows each viewer's request, also once the gateway keeps the
    # finished stream's frames for its next viewers.
    host = gw.base_url.netloc.decode()
    stream = f"ws://{host}/v1/executions/{execution_id}/stream"
    secure = expected(f"https://{host}", f"wss://{host}", execution_id)
    plain = expected(f"http://{host}", f"ws://{host}", execution_id)
    for _ in range(2):
        assert (await result_frame(stream, **{"X-Forwarded-Proto": "https"}))["links"] == secure
        assert (await result_frame(stream))["links"] == plain


async def test_a_forged_host_leaves_links_relative(gw: httpx.AsyncClient) -> None:
    created = await gw.post("/v1/executions", json=QUICK, headers={"Host": "evil.example/phish?x="})
    assert created.status_code == 202, created.text
    execution_id = created.json()["id"]
    assert created.json()["links"] == expected("", "", execution_id)


async def test_an_absolute_public_url_wins(auth: AuthService, executor: object) -> None:
    async with gateway(auth, public_url="https://run.example.test/") as client:
        created = await client.post("/v1/executions", json=QUICK, headers={"X-Forwarded-Proto": "http"})
        assert created.status_code == 202, created.text
        execution_id = created.json()["id"]
        links = expected("https://run.example.test", "wss://run.example.test", execution_id)
        assert created.json()["links"] == links
