"""WebRTC between a session's participants (services/gateway/collab/rtc.py, signal.py,
signaling.py) with real gateways, PostgreSQL and Redis: the configuration each participant gets
(rooms by role, ICE servers, TURN credentials), and the signaling socket: who gets in, which rooms
a socket may use, who receives what (addressed messages only their peer, never the sender), peer
ids bound to one socket across gateways, the bounds, and revocation, role changes and the end
reaching every gateway."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
import redis
from httpx_ws import WebSocketDisconnect

from shared.redis_keys import COLLAB_WEBRTC_ROOM_KEY
from tests.auth_support import AuthService
from tests.product.collab_clients import Signal, invited, signal, signal_url, start_session
from tests.product.conftest import Account, MakeAccount, gateway

TURN_SECRET = "turn-static-auth-secret-of-the-tests"
STUN = "stun:stun.test.invalid:3478"
TURN = ["turn:turn.test.invalid:3478?transport=udp", "turns:turn.test.invalid:5349"]
TTL_S = 600
SETTINGS: dict[str, Any] = {
    "collab_ice_servers": [STUN, *TURN],
    "collab_turn_secret": TURN_SECRET,
    "collab_turn_credential_ttl_s": TTL_S,
}
REVOKED = (4403, "Revoked by the session's owner")
ENDED = (4410, "The session ended")


@pytest_asyncio.fixture(scope="module")
async def pair(auth: AuthService) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two gateways on the same Redis and PostgreSQL."""
    async with gateway(auth, **SETTINGS) as a, gateway(auth, **SETTINGS) as b:
        yield a, b


@dataclass
class Cast:
    """A session with its owner, an invited editor and an invited viewer."""

    sid: str
    owner: Account
    editor: Account
    viewer: Account
    tokens: dict[str, str]
    participants: dict[str, str]


async def cast(gw: httpx.AsyncClient, make_account: MakeAccount) -> Cast:
    owner, editor, viewer = await make_account(), await make_account(), await make_account()
    session = await start_session(gw, owner)
    answers = {
        "owner": session.owner,
        "editor": await invited(gw, owner, session.id, "editor", editor),
        "viewer": await invited(gw, owner, session.id, "viewer", viewer),
    }
    # The gateways' room key is made by the first that needs it: as a participant's page does,
    # ask for the configuration first (a test reading the key straight after would find none).
    await rtc(gw, session.id, owner.headers)
    return Cast(
        session.id,
        owner,
        editor,
        viewer,
        {who: str(answer["socket_token"]) for who, answer in answers.items()},
        {who: str(answer["participant"]["id"]) for who, answer in answers.items()},
    )


def expected_rooms(redis_client: redis.Redis, sid: str) -> dict[str, str]:
    """The room names, recomputed: HMAC-SHA256 under the gateways' key (domain-separated)."""
    key = redis_client.get(COLLAB_WEBRTC_ROOM_KEY)
    assert isinstance(key, bytes)
    assert len(key) == 32
    rooms_key = hmac.new(key, b"coderunhub collab webrtc rooms", hashlib.sha256).digest()
    return {
        kind: hmac.new(rooms_key, f"{sid}:{kind}".encode(), hashlib.sha256).hexdigest()[:32]
        for kind in ("document", "voice")
    }


async def rtc(gw: httpx.AsyncClient, sid: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await gw.get(f"/v1/collab/sessions/{sid}/rtc", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def announce(peer: str) -> dict[str, Any]:
    return {"type": "announce", "from": peer}


def offer(peer: str, to: str) -> dict[str, Any]:
    sdp = "v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\nc=IN IP4 192.0.2.7\r\n"
    return {"type": "signal", "from": peer, "to": to, "token": 0.5, "signal": {"type": "offer", "sdp": sdp}}


def delivered(topic: str, data: dict[str, Any], participant: str) -> dict[str, Any]:
    return {"type": "publish", "topic": topic, "data": data, "participant": participant}


def peer() -> str:
    return str(uuid.uuid4())


@contextlib.asynccontextmanager
async def joined(url: str, *topics: str) -> AsyncIterator[Signal]:
    """A signaling socket subscribed to ``topics`` (all of them allowed to it)."""
    async with signal(url) as client:
        assert await client.subscribe(*topics) == []
        yield client


async def eventually_accepted(client: Signal, topic: str, data: dict[str, Any]) -> bool:
    """Publish until the server relays it instead of refusing it."""
    for _ in range(100):
        await client.publish(topic, data)
        if await client.sync() == []:
            return True
        await asyncio.sleep(0.05)
    return False


async def admitted(url: str) -> bool:
    """Connect until the socket is admitted (a place freed by a closing socket is freed soon after)."""
    for _ in range(50):
        with contextlib.suppress(WebSocketDisconnect):
            async with signal(url) as client:
                if await client.sync() == []:
                    return True
        await asyncio.sleep(0.1)
    return False


# --- the configuration ---------------------------------------------------------------------------


async def test_editors_get_both_rooms_and_viewers_only_the_voice_room(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    owner = await rtc(a, people.sid, people.owner.headers)
    rooms = expected_rooms(redis_client, people.sid)
    assert owner["signaling_url"] == f"/v1/collab/sessions/{people.sid}/signal"
    assert owner["rooms"] == rooms
    # The server's document bounds, which a client applies to its peers' updates.
    assert (owner["max_update_bytes"], owner["max_document_bytes"]) == (1 << 20, 4 << 20)
    # The same names from the other gateway and on every request; the viewer's has no document room.
    assert (await rtc(b, people.sid, people.editor.headers))["rooms"] == rooms
    assert (await rtc(a, people.sid, people.owner.headers))["rooms"] == rooms
    assert (await rtc(b, people.sid, people.viewer.headers))["rooms"] == {"document": None, "voice": rooms["voice"]}
    # Another session's rooms are others.
    other = await start_session(a, people.owner)
    others = (await rtc(b, other.id, people.owner.headers))["rooms"]
    assert set(others.values()).isdisjoint(rooms.values())

    # A guest, by the participant cookie its join set, is a viewer.
    opened = await a.patch(
        f"/v1/collab/sessions/{people.sid}", headers=people.owner.headers, json={"allow_anonymous": True}
    )
    assert opened.status_code == 200, opened.text
    async with httpx.AsyncClient(base_url=str(a.base_url)) as guest:
        assert (await guest.post(f"/v1/collab/sessions/{people.sid}/join", json={})).status_code == 200
        assert (await rtc(guest, people.sid))["rooms"] == {"document": None, "voice": rooms["voice"]}


async def test_turn_servers_come_with_the_participants_own_turn_rest_credentials(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, _ = pair
    people = await cast(a, make_account)
    before = int(time.time())
    response = await a.get(f"/v1/collab/sessions/{people.sid}/rtc", headers=people.viewer.headers)
    config = response.json()
    assert TURN_SECRET not in response.text
    stun, turn = config["ice_servers"]
    assert stun == {"urls": [STUN], "username": None, "credential": None}
    assert turn["urls"] == TURN
    expiry, _, participant = turn["username"].partition(":")
    assert participant == people.participants["viewer"]
    assert before + TTL_S <= int(expiry) <= int(time.time()) + TTL_S
    # coturn's check (use-auth-secret): base64(HMAC-SHA1(static-auth-secret, username)).
    digest = hmac.new(TURN_SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()
    assert datetime.fromisoformat(config["expires_at"]) == datetime.fromtimestamp(int(expiry), UTC)
    assert config["ice_transport_policy"] == "all"
    # Each participant gets credentials of their own.
    owner = await rtc(a, people.sid, people.owner.headers)
    assert owner["ice_servers"][1]["username"].endswith(f":{people.participants['owner']}")


async def test_without_ice_servers_or_a_turn_secret_nothing_of_them_is_handed_out(
    auth: AuthService, make_account: MakeAccount
) -> None:
    owner = await make_account()
    async with gateway(auth) as bare:
        session = await start_session(bare, owner)
        config = await rtc(bare, session.id, owner.headers)
        assert config["ice_servers"] == []
        assert config["expires_at"] is None
        assert config["ice_transport_policy"] == "all"
    async with gateway(
        auth, collab_ice_servers=TURN, collab_turn_secret=TURN_SECRET, collab_ice_transport_policy="relay"
    ) as relay:
        response = await relay.get(f"/v1/collab/sessions/{session.id}/rtc", headers=owner.headers)
        config = response.json()
        assert [server["urls"] for server in config["ice_servers"]] == [TURN]
        assert config["ice_transport_policy"] == "relay"
        assert TURN_SECRET not in response.text


async def test_the_configuration_is_for_participants_of_an_active_session_only(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, auth: AuthService
) -> None:
    a, _ = pair
    people = await cast(a, make_account)
    path = f"/v1/collab/sessions/{people.sid}/rtc"
    stranger = await make_account()
    for headers in (stranger.headers, {}):
        refused = await a.get(path, headers=headers)
        assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (404, "not-found"), refused.text
    assert (await a.get(f"/v1/collab/sessions/{uuid.uuid4()}/rtc", headers=people.owner.headers)).status_code == 404
    revoked = await a.delete(
        f"/v1/collab/sessions/{people.sid}/participants/{people.participants['viewer']}", headers=people.owner.headers
    )
    assert revoked.status_code == 204, revoked.text
    refused = await a.get(path, headers=people.viewer.headers)
    assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (403, "collab-revoked")
    async with gateway(auth, collab_webrtc=False) as off:
        refused = await off.get(path, headers=people.owner.headers)
        assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (404, "collab-webrtc-disabled")
        async with signal(signal_url(off, people.sid, people.tokens["owner"])) as client:
            assert (await client.closed())[:2] == (4404, "WebRTC is disabled")
    ended = await a.delete(f"/v1/collab/sessions/{people.sid}", headers=people.owner.headers)
    assert ended.status_code == 204, ended.text
    refused = await a.get(path, headers=people.owner.headers)
    assert (refused.status_code, refused.json()["type"].rsplit("/", 1)[-1]) == (409, "collab-session-ended")


# --- who gets in ---------------------------------------------------------------------------------


async def test_the_signal_socket_admits_the_sessions_participants_only(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    other = await start_session(a, await make_account())
    stranger = await make_account()
    base = signal_url(b, people.sid)
    cases: list[tuple[str, dict[str, str] | None, int]] = [
        (base, None, 4401),
        (signal_url(b, people.sid, "crhp_" + "A" * 43), None, 4401),
        (signal_url(b, people.sid, other.owner_token), None, 4403),
        (base, stranger.headers, 4403),
        (signal_url(b, "not-a-session", people.tokens["owner"]), None, 4400),
    ]
    for url, headers, code in cases:
        async with signal(url, headers) as client:
            assert (await client.closed())[0] == code, url
    # A participant's credentials, the token or a bearer, do open it.
    for url, headers in ((signal_url(b, people.sid, people.tokens["viewer"]), None), (base, people.editor.headers)):
        async with signal(url, headers) as client:
            assert await client.sync() == []


# --- who receives what ---------------------------------------------------------------------------


async def test_an_announce_reaches_the_others_on_every_gateway_and_never_its_sender(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    rooms = expected_rooms(redis_client, people.sid)
    document, voice = rooms["document"], rooms["voice"]
    ann, bob = peer(), peer()
    async with (
        joined(signal_url(a, people.sid, people.tokens["owner"]), document, voice) as owner,
        joined(signal_url(b, people.sid, people.tokens["editor"]), document, voice) as editor,
    ):
        await owner.publish(document, announce(ann))
        assert await editor.next() == delivered(document, announce(ann), people.participants["owner"])
        await editor.publish(voice, announce(bob))
        # The owner's first message is the editor's: its own announce never came back.
        assert await owner.next() == delivered(voice, announce(bob), people.participants["editor"])
        assert await owner.sync() == []


async def test_an_addressed_signal_reaches_only_the_socket_of_its_peer(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    third = await invited(a, people.owner, people.sid, "editor", await make_account())
    document = expected_rooms(redis_client, people.sid)["document"]
    ids = {"owner": peer(), "editor": peer(), "third": peer()}
    async with (
        joined(signal_url(a, people.sid, people.tokens["owner"]), document) as owner,
        joined(signal_url(b, people.sid, people.tokens["editor"]), document) as editor,
        joined(signal_url(b, people.sid, third["socket_token"]), document) as bystander,
    ):
        clients = {"owner": owner, "editor": editor, "third": bystander}
        for who, client in clients.items():
            await client.publish(document, announce(ids[who]))
            for other in (c for w, c in clients.items() if w != who):
                assert (await other.next())["data"] == announce(ids[who])
        await owner.publish(document, offer(ids["owner"], ids["editor"]))
        assert await editor.next() == delivered(
            document, offer(ids["owner"], ids["editor"]), people.participants["owner"]
        )
        # The bystander, subscribed to the same room, hears the owner's next announce and nothing before it.
        await owner.publish(document, announce(ids["owner"]))
        assert await bystander.next() == delivered(document, announce(ids["owner"]), people.participants["owner"])
        # An offer to a peer nobody bound reaches nobody.
        await owner.publish(document, offer(ids["owner"], peer()))
        await owner.publish(document, announce(ids["owner"]))
        assert (await editor.next())["data"] == announce(ids["owner"])
        assert (await bystander.next())["data"] == announce(ids["owner"])


async def test_a_viewer_gets_the_voice_room_and_nothing_of_the_documents(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    rooms = expected_rooms(redis_client, people.sid)
    document, voice = rooms["document"], rooms["voice"]
    ann, vic = peer(), peer()
    async with (
        joined(signal_url(a, people.sid, people.tokens["owner"]), document, voice) as owner,
        signal(signal_url(b, people.sid, people.tokens["viewer"])) as viewer,
    ):
        # y-webrtc subscribes to every room of its page: the document's is refused, the socket stays.
        refused = await viewer.subscribe(document, voice, "some-other-room")
        assert [(m["type"], m["code"], m["topic"]) for m in refused] == [
            ("error", "topic-refused", document),
            ("error", "topic-refused", "some-other-room"),
        ]
        await viewer.publish(voice, announce(vic))
        assert (await owner.next())["data"] == announce(vic)
        await viewer.publish(document, announce(vic))
        assert [(m["code"], m["topic"]) for m in await viewer.sync()] == [("topic-refused", document)]
        # Neither the document room's announces nor offers addressed to the viewer's peer there reach it.
        await owner.publish(document, announce(ann))
        await owner.publish(document, offer(ann, vic))
        await owner.publish(voice, offer(ann, vic))
        assert await viewer.next() == delivered(voice, offer(ann, vic), people.participants["owner"])
        assert await viewer.sync() == []


async def test_a_peer_id_belongs_to_the_first_socket_that_used_it_on_every_gateway(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    voice = expected_rooms(redis_client, people.sid)["voice"]
    taken = peer()
    async with (
        joined(signal_url(b, people.sid, people.tokens["editor"]), voice) as editor,
        joined(signal_url(b, people.sid, people.tokens["viewer"]), voice) as listener,
    ):
        async with joined(signal_url(a, people.sid, people.tokens["owner"]), voice) as owner:
            await owner.publish(voice, announce(taken))
            for client in (listener, editor):
                assert (await client.next())["data"] == announce(taken)
            # Nobody else may speak as that peer: not another participant, not the owner's other tab.
            async with joined(signal_url(b, people.sid, people.tokens["owner"]), voice) as tab:
                for client in (editor, tab):
                    await client.publish(voice, offer(taken, peer()))
                    [error] = await client.sync()
                    assert (error["type"], error["code"], error["peer"]) == ("error", "peer-id-taken", taken)
            # The listener heard none of it.
            await owner.publish(voice, announce(taken))
            for client in (listener, editor):
                assert (await client.next())["participant"] == people.participants["owner"]
        # The owner's socket closed: the others hear its peer is gone from every room, and the
        # peer id is free for another (once its gateway saw it go).
        for client in (listener, editor):
            assert await client.next() == {
                "type": "drop",
                "peers": [taken],
                "participant": people.participants["owner"],
            }
        assert await eventually_accepted(editor, voice, announce(taken))
        assert await listener.next() == delivered(voice, announce(taken), people.participants["editor"])


async def test_a_socket_speaks_for_a_bounded_number_of_peer_ids(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, _ = pair
    people = await cast(a, make_account)
    voice = expected_rooms(redis_client, people.sid)["voice"]
    async with joined(signal_url(a, people.sid, people.tokens["viewer"]), voice) as viewer:
        for _ in range(8):
            await viewer.publish(voice, announce(peer()))
        assert await viewer.sync() == []
        ninth = peer()
        await viewer.publish(voice, announce(ninth))
        [error] = await viewer.sync()
        assert (error["code"], error["peer"]) == ("too-many-peer-ids", ninth)


# --- the bounds ----------------------------------------------------------------------------------


async def test_malformed_messages_are_refused_and_broken_frames_close_4400(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, _ = pair
    people = await cast(a, make_account)
    voice = expected_rooms(redis_client, people.sid)["voice"]
    url = signal_url(a, people.sid, people.tokens["owner"])
    async with joined(url, voice) as owner:
        bad: list[dict[str, Any]] = [
            {"type": "publish", "topic": voice, "data": "c2VhbGVkIGJ5IHktd2VicnRjJ3MgcGFzc3dvcmQ="},
            {"type": "publish", "topic": voice, "data": {"type": "announce"}},
            {"type": "publish", "topic": voice, "data": {"type": "announce", "from": "not a peer id"}},
            {"type": "publish", "topic": voice, "data": {"type": "announce", "from": "x" * 65}},
            {"type": "publish", "topic": voice, "data": {**announce(peer()), "to": 7}},
            {"type": "publish", "topic": voice, "data": {"type": "signal", "from": peer(), "signal": {}}},
            {"type": "publish", "topic": ["x"], "data": announce(peer())},
            {"type": "subscribe", "topics": voice},
        ]
        for message in bad:
            await owner.send(message)
            [error] = await owner.sync()
            assert (error["type"], error["code"]) == ("error", "bad-message"), message
        # Unknown types are ignored, as y-webrtc's server does; the socket answers pings throughout.
        await owner.send({"type": "hello"})
        await owner.send({"type": "ping"})
        assert await owner.next() == {"type": "pong"}
    nested: Any = {}
    for _ in range(40):
        nested = {"x": nested}
    for frame in (b'{"type": "ping"}', "not json", "[1, 2]", "null", json.dumps({"type": "ping", "deep": nested})):
        async with signal(url) as client:
            await client.sync()
            if isinstance(frame, bytes):
                await client.ws.send_bytes(frame)
            else:
                await client.ws.send_text(frame)
            assert (await client.closed())[0] == 4400, frame


async def test_an_oversized_message_is_an_error_then_4413(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, _ = pair
    people = await cast(a, make_account)
    voice = expected_rooms(redis_client, people.sid)["voice"]
    async with joined(signal_url(a, people.sid, people.tokens["owner"]), voice) as owner:
        # Just within the limit is relayed.
        data = {**announce(peer()), "pad": ""}
        data["pad"] = "x" * (64 * 1024 - len(json.dumps({"type": "publish", "topic": voice, "data": data})))
        await owner.publish(voice, data)
        assert await owner.sync() == []
        data["pad"] += "x"
        await owner.publish(voice, data)
        code, reason, seen = await owner.closed()
        assert (code, reason) == (4413, "Message too large")
        assert (seen[-1]["type"], seen[-1]["code"]) == ("error", "message-too-large")


async def test_signal_sockets_per_participant_are_capped_across_gateways(
    auth: AuthService, make_account: MakeAccount
) -> None:
    owner = await make_account()
    async with (
        gateway(auth, collab_max_sockets_per_participant=2) as x,
        gateway(auth, collab_max_sockets_per_participant=2) as y,
    ):
        session = await start_session(x, owner)
        async with signal(signal_url(x, session.id, session.owner_token)) as first:
            await first.sync()
            async with signal(signal_url(y, session.id, session.owner_token)) as second:
                await second.sync()
                async with signal(signal_url(x, session.id, session.owner_token)) as third:
                    code, reason, seen = await third.closed()
                    assert (code, reason) == (4429, "Too many sockets")
                    assert seen == [
                        {"type": "error", "code": "session-full", "message": "at most 2 signal sockets per participant"}
                    ]
            # The second one closed: its place is free again.
            assert await admitted(signal_url(y, session.id, session.owner_token))


# --- control events ------------------------------------------------------------------------------


async def test_revocation_closes_4403_and_the_others_drop_the_revoked_peers(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    rooms = expected_rooms(redis_client, people.sid)
    document, voice = rooms["document"], rooms["voice"]
    on_document, on_voice = peer(), peer()
    async with (
        joined(signal_url(a, people.sid, people.tokens["editor"]), document, voice) as revoked,
        joined(signal_url(b, people.sid, people.tokens["owner"]), document, voice) as owner,
        joined(signal_url(a, people.sid, people.tokens["viewer"]), voice) as viewer,
    ):
        await revoked.publish(document, announce(on_document))
        await revoked.publish(voice, announce(on_voice))
        assert [(await owner.next())["data"]["from"] for _ in range(2)] == [on_document, on_voice]
        assert (await viewer.next())["data"]["from"] == on_voice
        gone = await a.delete(
            f"/v1/collab/sessions/{people.sid}/participants/{people.participants['editor']}",
            headers=people.owner.headers,
        )
        assert gone.status_code == 204, gone.text
        code, reason, seen = await revoked.closed()
        assert ((code, reason), seen) == (REVOKED, [{"type": "revoked"}])
        # Each hears of the peers in the rooms it is in, on whichever gateway it is.
        editor = people.participants["editor"]
        assert await owner.next() == {"type": "drop", "peers": sorted([on_document, on_voice]), "participant": editor}
        assert await viewer.next() == {"type": "drop", "peers": [on_voice], "participant": editor}
    async with signal(signal_url(b, people.sid, people.tokens["editor"])) as again:
        assert (await again.closed())[:2] == REVOKED


async def test_a_demoted_editor_leaves_the_document_room_and_a_promoted_viewer_may_join_it(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    rooms = expected_rooms(redis_client, people.sid)
    document, voice = rooms["document"], rooms["voice"]
    mine, theirs = peer(), peer()
    users = f"/v1/collab/sessions/{people.sid}/users/{people.editor.id}"
    async with (
        joined(signal_url(b, people.sid, people.tokens["editor"]), document, voice) as editor,
        joined(signal_url(a, people.sid, people.tokens["owner"]), document, voice) as owner,
    ):
        await editor.publish(document, announce(mine))
        assert (await owner.next())["data"] == announce(mine)
        lowered = await a.put(users, headers=people.owner.headers, json={"role": "viewer"})
        assert lowered.status_code == 200, lowered.text
        assert await editor.next() == {"type": "role", "role": "viewer"}
        participant = people.participants["editor"]
        assert await owner.next() == {"type": "drop", "topic": document, "peers": [mine], "participant": participant}
        # Nothing of the document room reaches it now, nor may it publish or subscribe there.
        await owner.publish(document, announce(theirs))
        await owner.publish(document, offer(theirs, mine))
        await owner.publish(voice, announce(theirs))
        assert await editor.next() == delivered(voice, announce(theirs), people.participants["owner"])
        await editor.publish(document, announce(mine))
        assert [m["code"] for m in await editor.subscribe(document)] == ["topic-refused", "topic-refused"]

        raised = await b.put(users, headers=people.owner.headers, json={"role": "editor"})
        assert raised.status_code == 200, raised.text
        assert await editor.next() == {"type": "role", "role": "editor", "rooms": {"document": document}}
        assert await editor.subscribe(document) == []
        await owner.publish(document, offer(theirs, mine))
        assert await editor.next() == delivered(document, offer(theirs, mine), people.participants["owner"])


async def test_ending_the_session_closes_every_signal_socket_4410(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    people = await cast(a, make_account)
    async with (
        signal(signal_url(a, people.sid, people.tokens["viewer"])) as here,
        signal(signal_url(b, people.sid, people.tokens["owner"])) as there,
    ):
        for client in (here, there):
            assert await client.sync() == []
        ended = await b.delete(f"/v1/collab/sessions/{people.sid}", headers=people.owner.headers)
        assert ended.status_code == 204, ended.text
        for client in (here, there):
            code, reason, seen = await client.closed()
            assert ((code, reason), seen) == (ENDED, [{"type": "ended"}])
    async with signal(signal_url(a, people.sid, people.tokens["owner"])) as late:
        assert (await late.closed())[:2] == ENDED


async def test_a_stopping_gateway_sends_its_signal_sockets_elsewhere(
    auth: AuthService, make_account: MakeAccount
) -> None:
    owner = await make_account()
    async with contextlib.AsyncExitStack() as stack:
        x = await stack.enter_async_context(gateway(auth))
        session = await start_session(x, owner)
        async with signal(signal_url(x, session.id, session.owner_token)) as client:
            assert await client.sync() == []
            await stack.aclose()
            assert (await client.closed())[0] == 1012


async def test_leaving_a_room_tells_its_other_members_at_once(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    """y-webrtc unsubscribes when a page leaves voice: the others close their connections to its
    peer then, not when ICE gives up on it tens of seconds later; a closed socket likewise."""
    a, b = pair
    people = await cast(a, make_account)
    rooms = expected_rooms(redis_client, people.sid)
    voice, document = rooms["voice"], rooms["document"]
    talker, writer = peer(), peer()
    async with (
        joined(signal_url(a, people.sid, people.tokens["owner"]), voice, document) as owner,
        joined(signal_url(b, people.sid, people.tokens["viewer"]), voice) as viewer,
    ):
        async with joined(signal_url(b, people.sid, people.tokens["editor"]), voice, document) as editor:
            await editor.publish(voice, announce(talker))
            await editor.publish(document, announce(writer))
            assert await editor.sync() == []
            for client, heard in ((owner, [talker, writer]), (viewer, [talker])):
                assert [(await client.next())["data"]["from"] for _ in heard] == heard
            await editor.send({"type": "unsubscribe", "topics": [voice]})
            left = {"type": "drop", "topic": voice, "peers": [talker], "participant": people.participants["editor"]}
            for client in (owner, viewer):
                assert await client.next() == left
            # Nothing of voice reaches it any more; the document's room is still its own.
            await owner.publish(voice, announce(peer()))
            await owner.publish(document, announce(owner_peer := peer()))
            assert [(m["topic"], m["data"]["from"]) for m in [await editor.next()]] == [(document, owner_peer)]
            assert await editor.sync() == []
            assert (await viewer.next())["topic"] == voice
        # Its socket closed: gone from every room, told to those who shared one with it (the viewer
        # only knew its voice peer, which already left: it hears nothing).
        gone = await owner.next()
        assert gone == {"type": "drop", "peers": [writer], "participant": people.participants["editor"]}
        assert await viewer.sync() == []
