"""Collaborative sessions, REST side (services/gateway/collab), against the real auth service,
gateway, PostgreSQL and Redis (no executor: nothing runs): who may see, change and join a session,
invites, named users, revocation, caps, the end of a session, the control events other gateways
act on, and who the session's WebSocket admits (admit_socket, through a probe route)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import redis
import redis.asyncio as aioredis
from fastapi import WebSocket
from fastapi.routing import APIWebSocketRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.gateway.app import create_app
from services.gateway.collab.access import SocketRefused, admit_socket
from shared.redis_keys import collab_control_channel, collab_participant_token
from tests.auth_support import AuthService
from tests.conftest import REDIS_URL, serve
from tests.product.conftest import Account, MakeAccount, product_settings

WS_S = 30
PROBLEM = "application/problem+json"
ALLOWED_ORIGIN = "http://127.0.0.1:8000"
FILES = [{"name": "main.py", "content": "print('together')\n"}]


async def admit_probe(websocket: WebSocket, session_id: uuid.UUID) -> None:
    """What the session socket does first: accept, admit, close with the refusal's code."""
    await websocket.accept()
    try:
        admission = await admit_socket(websocket.app.state.gateway, websocket, session_id)
    except SocketRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    await websocket.send_text(json.dumps(dataclasses.asdict(admission), default=str))
    await websocket.close(1000)


@dataclasses.dataclass
class Served:
    client: httpx.AsyncClient
    ws: str


@pytest_asyncio.fixture(scope="module")
async def served(auth: AuthService) -> AsyncIterator[Served]:
    app = create_app(product_settings(auth))
    # First, ahead of the web app's catch-all mount.
    app.router.routes.insert(0, APIWebSocketRoute("/test/collab/{session_id}/socket", admit_probe))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield Served(client, url.replace("http://", "ws://"))


@pytest_asyncio.fixture
async def gw(served: Served) -> httpx.AsyncClient:
    # Joins set cookies: no test sees another's (nor an earlier request's in the same test).
    served.client.cookies.clear()
    return served.client


@contextlib.asynccontextmanager
async def control(session_id: str) -> AsyncIterator[aioredis.client.PubSub]:
    client = aioredis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe(collab_control_channel(session_id))
    try:
        yield pubsub
    finally:
        await pubsub.aclose()
        await client.aclose()


async def next_event(pubsub: aioredis.client.PubSub, timeout: float = 5.0) -> dict[str, Any] | None:
    """The next control event, or None when none came within ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        # (None also for the subscription's own confirmation: keep waiting.)
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None and message["type"] == "message":
            event: dict[str, Any] = json.loads(message["data"])
            return event
    return None


async def snippet(gw: httpx.AsyncClient, owner: Account, visibility: str = "private") -> str:
    body = {"title": "Pair", "language": "python", "files": FILES, "visibility": visibility}
    created = await gw.post("/v1/snippets", headers=owner.headers, json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def started(gw: httpx.AsyncClient, owner: Account, **body: Any) -> dict[str, Any]:
    response = await gw.post(f"/v1/snippets/{await snippet(gw, owner)}/sessions", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


async def invite(gw: httpx.AsyncClient, owner: Account, sid: str, role: str, **extra: Any) -> dict[str, Any]:
    response = await gw.post(f"/v1/collab/sessions/{sid}/invites", headers=owner.headers, json={"role": role, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def join(gw: httpx.AsyncClient, sid: str, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    response = await gw.post(f"/v1/collab/sessions/{sid}/join", headers=headers or {}, json=body)
    gw.cookies.clear()
    return response


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"crh_collab={token}"}


def slug(response: httpx.Response) -> str:
    assert response.headers["content-type"] == PROBLEM, response.text
    return str(response.json()["type"]).rsplit("/", 1)[-1]


async def admitted(
    served: Served, sid: str, query: str = "", headers: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, int | None]:
    """What the probe socket answered (the admission, or None) and its close code."""
    url = f"{served.ws}/test/collab/{sid}/socket{query}"
    admission = None
    async with connect(url, additional_headers=headers or {}) as ws, asyncio.timeout(WS_S):
        with contextlib.suppress(ConnectionClosed):
            admission = json.loads(await ws.recv())
            await ws.recv()
    return admission, ws.close_code


# --- starting, reading ---------------------------------------------------------------------------


async def test_start_returns_the_open_session_and_only_owners_start(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, stranger = await make_account(), await make_account()
    async with sessions() as db:
        await db.execute(text("UPDATE users SET display_name = 'Ada L.' WHERE id = :id"), {"id": owner.id})
        await db.commit()
    snippet_id = await snippet(gw, owner)
    first = await gw.post(f"/v1/snippets/{snippet_id}/sessions", headers=owner.headers, json={"max_participants": 3})
    assert first.status_code == 201, first.text
    body = first.json()
    sid = body["id"]
    assert first.headers["location"] == f"/v1/collab/sessions/{sid}"
    assert (body["snippet_id"], body["owner_id"], body["status"]) == (snippet_id, owner.id, "active")
    assert (body["base_revision"], body["last_saved_revision"], body["max_participants"]) == (1, None, 3)
    assert body["allow_anonymous"] is False
    assert body["ended_at"] is None
    [me] = body["participants"]
    assert body["you"] == {"participant_id": me["id"], "role": "owner"}
    assert (me["user_id"], me["display_name"], me["role"], me["is_owner"]) == (owner.id, "Ada L.", "editor", True)
    assert me["color"].startswith("#")
    assert me["revoked_at"] is None
    base = str(gw.base_url).rstrip("/")
    assert body["links"] == {
        "self": f"{base}/v1/collab/sessions/{sid}",
        "socket": f"{base.replace('http://', 'ws://')}/v1/collab/sessions/{sid}/socket",
        "web": f"{base}/collab/{sid}",
    }

    again = await gw.post(f"/v1/snippets/{snippet_id}/sessions", headers=owner.headers, json={"allow_anonymous": True})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == sid
    assert again.json()["allow_anonymous"] is False

    # Someone else's private snippet is not there; a public one is, but not theirs to share.
    assert (await gw.post(f"/v1/snippets/{snippet_id}/sessions", headers=stranger.headers)).status_code == 404
    public = await snippet(gw, owner, visibility="public")
    refused = await gw.post(f"/v1/snippets/{public}/sessions", headers=stranger.headers)
    assert (refused.status_code, slug(refused)) == (403, "not-owner")
    assert (await gw.post(f"/v1/snippets/{public}/sessions")).status_code == 401
    bad = await gw.post(f"/v1/snippets/{public}/sessions", headers=owner.headers, json={"max_participants": 51})
    assert bad.status_code == 422


async def test_access_matrix(gw: httpx.AsyncClient, make_account: MakeAccount, redis_client: redis.Redis) -> None:
    owner, editor, viewer, stranger = [await make_account() for _ in range(4)]
    session = await started(gw, owner)
    sid = session["id"]
    path = f"/v1/collab/sessions/{sid}"
    edit_link = await invite(gw, owner, sid, "editor")
    view_link = await invite(gw, owner, sid, "viewer")

    joined = await join(gw, sid, editor.headers, invite=edit_link["token"])
    assert joined.status_code == 200, joined.text
    assert joined.json()["participant"]["role"] == "editor"
    assert joined.json()["session"]["you"]["role"] == "editor"
    assert (await join(gw, sid, viewer.headers, invite=view_link["token"])).json()["participant"]["role"] == "viewer"

    for account, role in ((owner, "owner"), (editor, "editor"), (viewer, "viewer")):
        read = await gw.get(path, headers=account.headers)
        assert read.status_code == 200, read.text
        assert read.json()["you"]["role"] == role
        assert len(read.json()["participants"]) == 3
    # Strangers and anonymous callers learn nothing, not even that it exists.
    for headers in (stranger.headers, {}):
        assert (await gw.get(path, headers=headers)).status_code == 404
        assert (await join(gw, sid, headers)).status_code == 404
        assert (await gw.patch(path, headers=headers, json={"allow_anonymous": True})).status_code in (401, 404)
    missing = await join(gw, sid, stranger.headers, invite="crhi_" + "x" * 43)
    assert missing.status_code == 404
    sign_in = await join(gw, sid, invite=view_link["token"])
    assert (sign_in.status_code, slug(sign_in)) == (401, "collab-sign-in-required")
    # Participants who do not own it are told so.
    for account in (editor, viewer):
        refused = await gw.patch(path, headers=account.headers, json={"allow_anonymous": True})
        assert (refused.status_code, slug(refused)) == (403, "not-owner")
        assert (await gw.post(f"{path}/invites", headers=account.headers, json={"role": "viewer"})).status_code == 403
        assert (await gw.delete(path, headers=account.headers)).status_code == 403

    opened = await gw.patch(path, headers=owner.headers, json={"allow_anonymous": True})
    assert (opened.status_code, opened.json()["allow_anonymous"]) == (200, True)
    guest = await join(gw, sid, display_name="  Ada\x07 ")
    assert guest.status_code == 200, guest.text
    shown = guest.json()["participant"]
    fields = ("user_id", "display_name", "role", "is_owner", "named_by_owner", "revoked_at")
    assert tuple(shown[f] for f in fields) == (None, "Ada", "viewer", False, False, None)
    token = guest.json()["socket_token"]
    set_cookie = guest.headers["set-cookie"]
    assert set_cookie.startswith(f"crh_collab={token};")
    for part in ("HttpOnly", "SameSite=strict", f"Path=/v1/collab/sessions/{sid}", "Max-Age=86400"):
        assert part in set_cookie, set_cookie
    assert "Secure" not in set_cookie  # plain http here
    held: bytes | None = redis_client.get(collab_participant_token(hashlib.sha256(token.encode()).hexdigest()))  # type: ignore[assignment]
    assert held is not None
    assert json.loads(held) == {"session_id": sid, "participant_id": guest.json()["participant"]["id"]}
    assert not list(redis_client.scan_iter(match=f"*{token}*"))

    # The cookie is the guest's way back in: GET, and a join again (the same place, the same token).
    read = await gw.get(path, headers=cookie(token))
    assert read.status_code == 200
    assert read.json()["you"]["participant_id"] == guest.json()["participant"]["id"]
    back = await join(gw, sid, cookie(token))
    assert back.json()["participant"]["id"] == guest.json()["participant"]["id"]
    assert back.json()["socket_token"] == token
    # An editor invite makes a guest a viewer all the same; the next guest is numbered.
    second = await join(gw, sid, invite=edit_link["token"])
    assert second.json()["participant"]["role"] == "viewer"
    assert second.json()["participant"]["display_name"] == "Guest 2"
    assert (await join(gw, sid, stranger.headers)).json()["participant"]["role"] == "viewer"


async def test_invite_lifecycle(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    sid = (await started(gw, owner))["id"]
    once = await invite(gw, owner, sid, "editor", max_uses=1, expires_in_s=3600)
    assert once["token"].startswith("crhi_")
    assert once["url"].endswith(f"/collab/{sid}#k={once['token']}")
    assert (once["uses"], once["max_uses"], once["revoked_at"]) == (0, 1, None)
    async with sessions() as db:
        stored = await db.scalar(text("SELECT token_sha256 FROM collab_invites WHERE id = :id"), {"id": once["id"]})
    assert stored == hashlib.sha256(once["token"].encode()).hexdigest()

    first, second = await make_account(), await make_account()
    assert (await join(gw, sid, first.headers, invite=once["token"])).status_code == 200
    # Opening the link again as the one it admitted spends nothing and changes nothing.
    assert (await join(gw, sid, first.headers, invite=once["token"])).status_code == 200
    used_up = await join(gw, sid, second.headers, invite=once["token"])
    assert (used_up.status_code, slug(used_up), used_up.json()["detail"]) == (
        403,
        "collab-invite-invalid",
        "The invite is used up.",
    )

    expiring = await invite(gw, owner, sid, "viewer")
    async with sessions() as db:
        await db.execute(
            text("UPDATE collab_invites SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": expiring["id"]},
        )
        await db.commit()
    expired = await join(gw, sid, second.headers, invite=expiring["token"])
    assert (expired.status_code, expired.json()["detail"]) == (403, "The invite has expired.")

    revocable = await invite(gw, owner, sid, "viewer")
    viewer = await make_account()
    assert (await join(gw, sid, viewer.headers, invite=revocable["token"])).status_code == 200
    revoked = await gw.delete(f"/v1/collab/sessions/{sid}/invites/{revocable['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    refused = await join(gw, sid, second.headers, invite=revocable["token"])
    assert (refused.status_code, refused.json()["detail"]) == (403, "The invite was revoked.")
    # Who joined through it stays.
    assert (await gw.get(f"/v1/collab/sessions/{sid}", headers=viewer.headers)).status_code == 200

    listed = await gw.get(f"/v1/collab/sessions/{sid}/invites", headers=owner.headers)
    assert listed.status_code == 200
    assert [(i["id"], i["uses"], i["token"], i["url"]) for i in listed.json()] == [
        (once["id"], 1, None, None),
        (expiring["id"], 0, None, None),
        (revocable["id"], 1, None, None),
    ]
    assert listed.json()[2]["revoked_at"] is not None
    assert (await gw.get(f"/v1/collab/sessions/{sid}/invites", headers=viewer.headers)).status_code == 403
    other = await gw.delete(f"/v1/collab/sessions/{sid}/invites/{uuid.uuid4()}", headers=owner.headers)
    assert other.status_code == 404
    for bad in ({"role": "owner"}, {"role": "viewer", "expires_in_s": 59}, {"role": "viewer", "max_uses": 0}):
        assert (await gw.post(f"/v1/collab/sessions/{sid}/invites", headers=owner.headers, json=bad)).status_code == 422

    # An editor invite raises a signed-in viewer; the sockets hear of it.
    raising = await invite(gw, owner, sid, "editor")
    async with control(sid) as events:
        raised = await join(gw, sid, viewer.headers, invite=raising["token"])
        assert raised.json()["participant"]["role"] == "editor"
        assert await next_event(events) == {
            "type": "role",
            "participant_id": raised.json()["participant"]["id"],
            "role": "editor",
        }


async def test_named_users_role_changes_and_revocation(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner, named = await make_account(), await make_account()
    sid = (await started(gw, owner))["id"]
    path = f"/v1/collab/sessions/{sid}"
    async with control(sid) as events:
        put = await gw.put(f"{path}/users/{named.id}", headers=owner.headers, json={"role": "viewer"})
        assert put.status_code == 200, put.text
        participant = put.json()
        assert (participant["user_id"], participant["role"], participant["named_by_owner"]) == (
            named.id,
            "viewer",
            True,
        )
        assert participant["display_name"] == "User 2"
        assert await next_event(events, timeout=0.3) is None
        # Named, they are in without a join or an invite.
        assert (await gw.get(path, headers=named.headers)).json()["you"]["role"] == "viewer"

        changed = await gw.put(f"{path}/users/{named.id}", headers=owner.headers, json={"role": "editor"})
        assert changed.json()["id"] == participant["id"]
        assert changed.json()["role"] == "editor"
        assert await next_event(events) == {"type": "role", "participant_id": participant["id"], "role": "editor"}

        revoked = await gw.delete(f"{path}/participants/{participant['id']}", headers=owner.headers)
        assert revoked.status_code == 204
        assert await next_event(events) == {"type": "revoked", "participant_id": participant["id"]}
        assert (await gw.delete(f"{path}/participants/{participant['id']}", headers=owner.headers)).status_code == 204
        assert await next_event(events, timeout=0.3) is None

    for response in (await gw.get(path, headers=named.headers), await join(gw, sid, named.headers)):
        assert (response.status_code, slug(response)) == (403, "collab-revoked")
    # The owner still sees them, revoked.
    listed = (await gw.get(path, headers=owner.headers)).json()["participants"]
    assert [(p["id"], p["revoked_at"] is not None) for p in listed][1] == (participant["id"], True)

    owner_row = listed[0]["id"]
    kept = await gw.delete(f"{path}/participants/{owner_row}", headers=owner.headers)
    assert (kept.status_code, slug(kept)) == (409, "collab-owner")
    assert (await gw.put(f"{path}/users/{owner.id}", headers=owner.headers, json={"role": "viewer"})).status_code == 409
    assert (
        await gw.put(f"{path}/users/{uuid.uuid4()}", headers=owner.headers, json={"role": "viewer"})
    ).status_code == 404
    assert (await gw.delete(f"{path}/participants/{uuid.uuid4()}", headers=owner.headers)).status_code == 404
    # Named again, they are back.
    assert (await gw.put(f"{path}/users/{named.id}", headers=owner.headers, json={"role": "viewer"})).status_code == 200
    assert (await gw.get(path, headers=named.headers)).json()["you"]["role"] == "viewer"


async def test_caps(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner, first, second = await make_account(), await make_account(), await make_account()
    sid = (await started(gw, owner, max_participants=2, allow_anonymous=True))["id"]
    assert (await join(gw, sid, first.headers)).status_code == 200
    for response in (
        await join(gw, sid, second.headers),
        await join(gw, sid),
        await gw.put(f"/v1/collab/sessions/{sid}/users/{second.id}", headers=owner.headers, json={"role": "editor"}),
    ):
        assert (response.status_code, slug(response)) == (409, "collab-session-full")
    # A revoked participant's place is free again.
    first_row = (await gw.get(f"/v1/collab/sessions/{sid}", headers=first.headers)).json()["you"]["participant_id"]
    await gw.delete(f"/v1/collab/sessions/{sid}/participants/{first_row}", headers=owner.headers)
    assert (await join(gw, sid, second.headers)).status_code == 200

    # At most five open sessions per owner; ending one makes room.
    busy = await make_account()
    opened = [(await started(gw, busy))["id"] for _ in range(5)]
    sixth = await snippet(gw, busy)
    refused = await gw.post(f"/v1/snippets/{sixth}/sessions", headers=busy.headers)
    assert (refused.status_code, slug(refused)) == (409, "collab-sessions-limit")
    assert (await gw.delete(f"/v1/collab/sessions/{opened[0]}", headers=busy.headers)).status_code == 204
    assert (await gw.post(f"/v1/snippets/{sixth}/sessions", headers=busy.headers)).status_code == 201


async def test_an_ended_session_refuses_joins_and_changes(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner, member, stranger = await make_account(), await make_account(), await make_account()
    session = await started(gw, owner)
    sid, path = session["id"], f"/v1/collab/sessions/{session['id']}"
    link = await invite(gw, owner, sid, "editor")
    assert (await join(gw, sid, member.headers, invite=link["token"])).status_code == 200
    async with control(sid) as events:
        assert (await gw.delete(path, headers=owner.headers)).status_code == 204
        assert await next_event(events) == {"type": "ended"}
        assert (await gw.delete(path, headers=owner.headers)).status_code == 204
        assert await next_event(events, timeout=0.3) is None

    read = (await gw.get(path, headers=owner.headers)).json()
    assert read["status"] == "ended"
    assert read["ended_at"] is not None
    for response in (await join(gw, sid, member.headers), await join(gw, sid, invite=link["token"])):
        assert (response.status_code, slug(response)) == (410, "collab-session-ended")
    assert (await join(gw, sid, stranger.headers)).status_code == 404
    for response in (
        await gw.patch(path, headers=owner.headers, json={"max_participants": 4}),
        await gw.post(f"{path}/invites", headers=owner.headers, json={"role": "viewer"}),
        await gw.put(f"{path}/users/{stranger.id}", headers=owner.headers, json={"role": "viewer"}),
    ):
        assert (response.status_code, slug(response)) == (409, "collab-session-ended")
    # The snippet can have a new session.
    again = await gw.post(f"/v1/snippets/{session['snippet_id']}/sessions", headers=owner.headers)
    assert again.status_code == 201
    assert again.json()["id"] != sid


# --- the socket's admission ---------------------------------------------------------------------


async def test_socket_admission(
    gw: httpx.AsyncClient, served: Served, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    owner, named, stranger = await make_account(), await make_account(), await make_account()
    sid = (await started(gw, owner, allow_anonymous=True))["id"]
    guest = (await join(gw, sid, display_name="Grace")).json()
    token, guest_id = guest["socket_token"], guest["participant"]["id"]

    # The participant cookie, from our own pages (or with no Origin at all).
    for headers in (cookie(token), {**cookie(token), "Origin": ALLOWED_ORIGIN}):
        admission, code = await admitted(served, sid, headers=headers)
        assert code == 1000
        assert admission == {
            "session_id": sid,
            "participant_id": guest_id,
            "user_id": None,
            "role": "viewer",
            "is_owner": False,
            "display_name": "Grace",
            "color": guest["participant"]["color"],
            "max_participants": 10,
        }
    # Cookies from a foreign page are refused; an explicit token is not a cookie.
    assert await admitted(served, sid, headers={**cookie(token), "Origin": "https://evil.example"}) == (None, 4403)
    admission, code = await admitted(served, sid, f"?token={token}", headers={"Origin": "https://evil.example"})
    assert (admission or {}).get("participant_id") == guest_id
    assert code == 1000
    # Each admission renews the token.
    key = collab_participant_token(hashlib.sha256(token.encode()).hexdigest())
    redis_client.expire(key, 100)
    await admitted(served, sid, f"?token={token}")
    assert int(redis_client.ttl(key)) > 86_000  # type: ignore[arg-type]

    # Signed-in participants by their own credentials; the owner always.
    admission, _ = await admitted(served, sid, headers=owner.headers)
    assert admission is not None
    assert admission["is_owner"] is True
    assert admission["role"] == "editor"
    assert await admitted(served, sid, headers=named.headers) == (None, 4403)
    put = await gw.put(f"/v1/collab/sessions/{sid}/users/{named.id}", headers=owner.headers, json={"role": "viewer"})
    admission, _ = await admitted(served, sid, headers=named.headers)
    assert admission is not None
    assert admission["role"] == "viewer"
    # A role change since counts at once.
    await gw.put(f"/v1/collab/sessions/{sid}/users/{named.id}", headers=owner.headers, json={"role": "editor"})
    ticket = (await gw.post("/v1/stream-tickets", headers=named.headers)).json()["ticket"]
    admission, _ = await admitted(served, sid, f"?ticket={ticket}")
    assert admission is not None
    assert (admission["participant_id"], admission["role"]) == (put.json()["id"], "editor")
    bound = await gw.post("/v1/stream-tickets", headers=named.headers, json={"execution_id": str(uuid.uuid4())})
    assert await admitted(served, sid, f"?ticket={bound.json()['ticket']}") == (None, 4401)

    # No credential, or an unknown one: 4401. Someone else's session, a stranger: 4403.
    assert await admitted(served, sid) == (None, 4401)
    assert await admitted(served, sid, "?token=crhp_" + "A" * 43) == (None, 4401)
    assert await admitted(served, sid, headers=cookie("crhp_" + "A" * 43)) == (None, 4401)
    assert await admitted(served, sid, headers=stranger.headers) == (None, 4403)
    other = (await started(gw, owner))["id"]
    assert await admitted(served, other, f"?token={token}") == (None, 4403)

    # Revoked: 4403, by any credential.
    await gw.delete(f"/v1/collab/sessions/{sid}/participants/{guest_id}", headers=owner.headers)
    assert await admitted(served, sid, f"?token={token}") == (None, 4403)
    await gw.delete(f"/v1/collab/sessions/{sid}/participants/{put.json()['id']}", headers=owner.headers)
    assert await admitted(served, sid, headers=named.headers) == (None, 4403)
    # Ended: 4410.
    await gw.delete(f"/v1/collab/sessions/{sid}", headers=owner.headers)
    assert await admitted(served, sid, headers=owner.headers) == (None, 4410)
