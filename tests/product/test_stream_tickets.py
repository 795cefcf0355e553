"""Stream tickets (POST /v1/stream-tickets), against the real auth service, gateway, Redis and
executor: a ticket opens one WebSocket as the account that minted it, once; expired, spent, unknown
or misbound tickets close with 4401; they carry their minter's rights and no more."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from shared.redis_keys import stream_ticket
from tests.auth_support import AuthService, bearer
from tests.product.conftest import Account, MakeAccount, gateway

# No WebSocket read waits longer than this: a stuck stream fails the test, never hangs it.
WS_S = 60
QUICK = {"language": "python", "source": "print('quick')"}

pytestmark = pytest.mark.usefixtures("fresh_limits")


async def api_key(auth: AuthService, account: Account, *scopes: str) -> dict[str, str]:
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=account.headers, json={"name": "tickets", "scopes": list(scopes)}
    )
    assert created.status_code == 201, created.text
    return bearer(created.json()["key"])


async def mint(client: httpx.AsyncClient, headers: dict[str, str], execution_id: str | None = None) -> str:
    body = {"execution_id": execution_id} if execution_id else None
    minted = await client.post("/v1/stream-tickets", headers=headers, json=body)
    assert minted.status_code == 201, minted.text
    ticket: str = minted.json()["ticket"]
    return ticket


async def frames_of(url: str) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame of a WebSocket until it closes, and its close code."""
    frames: list[dict[str, Any]] = []
    async with connect(url) as ws, asyncio.timeout(WS_S):
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
    return frames, ws.close_code


async def submitted(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    created = await client.post("/v1/executions", json=QUICK, headers=headers)
    assert created.status_code == 202, created.text
    body: dict[str, Any] = created.json()
    return body


def stdout_of(frames: list[dict[str, Any]]) -> str:
    return "".join(f["data"] for f in frames if f["type"] == "stdout")


async def test_a_ticket_opens_the_stream_once(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    key = await api_key(auth, await make_account(), "executions:read", "executions:write")
    created = await submitted(gw, key)
    stream = created["links"]["stream"]
    # The execution is the account's: without credentials the stream does not show it.
    assert (await frames_of(stream))[1] == 4404

    minted = await gw.post("/v1/stream-tickets", headers=key, json={"execution_id": created["id"]})
    assert minted.status_code == 201, minted.text
    ticket = minted.json()["ticket"]
    assert minted.json()["execution_id"] == created["id"]
    # Redis holds the ticket's digest, not the ticket.
    assert redis_client.exists(stream_ticket(hashlib.sha256(ticket.encode()).hexdigest())) == 1
    assert not list(redis_client.scan_iter(match=f"*{ticket}*"))

    frames, code = await frames_of(f"{stream}?ticket={ticket}")
    assert code == 1000
    assert frames[-1]["type"] == "result"
    assert stdout_of(frames) == "quick\n"
    # Spent: the same ticket is refused like bad credentials.
    frames, code = await frames_of(f"{stream}?ticket={ticket}")
    assert (frames, code) == ([], 4401)


async def test_two_sockets_racing_with_one_ticket(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    key = await api_key(auth, await make_account(), "executions:read", "executions:write")
    created = await submitted(gw, key)
    ticket = await mint(gw, key)
    url = f"{created['links']['stream']}?ticket={ticket}"
    results = await asyncio.gather(frames_of(url), frames_of(url), frames_of(url))
    assert sorted(code or 0 for _, code in results) == [1000, 4401, 4401]


async def test_an_expired_ticket_is_refused(auth: AuthService, make_account: MakeAccount, executor: object) -> None:
    async with gateway(auth, stream_ticket_ttl_s=1) as client:
        key = await api_key(auth, await make_account(), "executions:read", "executions:write")
        created = await submitted(client, key)
        minted = (await client.post("/v1/stream-tickets", headers=key)).json()
        await asyncio.sleep(1.5)
        assert (await frames_of(f"{created['links']['stream']}?ticket={minted['ticket']}")) == ([], 4401)


async def test_unknown_and_malformed_tickets_are_refused(gw: httpx.AsyncClient) -> None:
    created = await submitted(gw, {})
    for ticket in ("crht_" + "A" * 43, "nope", ""):
        assert (await frames_of(f"{created['links']['stream']}?ticket={ticket}")) == ([], 4401), ticket


async def test_a_ticket_of_one_account_cannot_watch_anothers_execution(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    alice = await api_key(auth, await make_account(), "executions:read", "executions:write")
    bob = await api_key(auth, await make_account(), "executions:read", "executions:write")
    hers, his = await submitted(gw, alice), await submitted(gw, bob)
    # Alice's ticket stands for Alice: Bob's execution does not exist for her.
    assert (await frames_of(f"{his['links']['stream']}?ticket={await mint(gw, alice)}"))[1] == 4404
    # A ticket bound to her execution opens nothing else, not even with rights to it.
    assert (await frames_of(f"{his['links']['stream']}?ticket={await mint(gw, bob, hers['id'])}")) == ([], 4401)
    interactive = str(gw.base_url.copy_with(scheme="ws", path="/v1/executions/interactive"))
    assert (await frames_of(f"{interactive}?ticket={await mint(gw, alice, hers['id'])}")) == ([], 4401)
    # Bob's own ticket does.
    frames, code = await frames_of(f"{his['links']['stream']}?ticket={await mint(gw, bob, his['id'])}")
    assert (code, stdout_of(frames)) == (1000, "quick\n")


async def test_a_ticket_carries_its_minters_scopes(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    account = await make_account()
    writer = await api_key(auth, account, "executions:write")
    reader = await api_key(auth, account, "snippets:read")
    created = await submitted(gw, writer)
    # Any account may mint; streaming still needs executions:read from an API key, as GET does.
    assert (await frames_of(f"{created['links']['stream']}?ticket={await mint(gw, reader)}")) == ([], 4403)
    interactive = str(gw.base_url.copy_with(scheme="ws", path="/v1/executions/interactive"))
    frames, code = await frames_of(f"{interactive}?ticket={await mint(gw, reader)}")
    assert code == 4400
    assert frames[0]["problem"]["status"] == 403


async def test_an_interactive_session_runs_as_the_tickets_account(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    key = await api_key(auth, await make_account(), "executions:read", "executions:write")
    interactive = str(gw.base_url.copy_with(scheme="ws", path="/v1/executions/interactive"))
    async with connect(f"{interactive}?ticket={await mint(gw, key)}") as ws, asyncio.timeout(WS_S):
        await ws.send(json.dumps({"type": "start", "language": "python", "source": "print('echo', input())"}))
        created = json.loads(await ws.recv())
        assert created["type"] == "created", created
        await ws.send(json.dumps({"type": "stdin", "data": "typed\n"}))
        frames = [created]
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
    assert ws.close_code == 1000
    assert stdout_of(frames) == "echo typed\n"
    execution_id = created["execution"]["id"]
    # The execution is the account's: readable with its key, not anonymously.
    assert (await gw.get(f"/v1/executions/{execution_id}", headers=key)).status_code == 200
    assert (await gw.get(f"/v1/executions/{execution_id}")).status_code == 404


async def test_only_accounts_mint_tickets(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    for headers in ({}, bearer("not-a-token"), bearer("crh_abcdefgh_" + "x" * 40)):
        refused = await gw.post("/v1/stream-tickets", headers=headers)
        assert refused.status_code == 401, (headers, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    # A signed-in user's access token mints too; unknown fields are refused.
    account = await make_account()
    minted = await gw.post("/v1/stream-tickets", headers=account.headers)
    assert minted.status_code == 201
    assert minted.json()["ticket"].startswith("crht_")
    assert minted.json()["execution_id"] is None
    odd = await gw.post("/v1/stream-tickets", headers=account.headers, json={"scopes": ["admin"]})
    assert odd.status_code == 422
