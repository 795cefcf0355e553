"""A collaborative session's y-websocket socket (services/gateway/collab) with real gateways,
PostgreSQL and Redis, no executor: documents converge, viewers cannot edit, awareness is the
server's word on who is who, the limits hold, the document survives a restart, and two gateways on
the same Redis and PostgreSQL serve one session as one (relay, catch-up, revocation, the cap)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import httpx
import pytest_asyncio
import redis
from pycrdt import Doc, Map, Text
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.collab import protocol
from services.gateway.collab.protocol import AwarenessEntry
from shared.db.models import CollabDocument
from shared.redis_keys import collab_updates
from tests.auth_support import AuthService
from tests.product.collab_clients import (
    Raw,
    eventually,
    files,
    invited,
    raw,
    socket_url,
    start_session,
    synced,
    text_of,
)
from tests.product.conftest import MakeAccount, gateway

# Quick compaction; the idle check of the log rare, so that only a frame's ``prev`` reveals a gap
# (test_a_gap_with_no_message_after_it_is_caught_up uses a gateway of its own for the idle check).
SETTINGS: dict[str, Any] = {
    "collab_compact_idle_s": 0.3,
    "stream_idle_check_s": 30.0,
    "max_source_bytes": 8192,
    "collab_max_frame_bytes": 64 << 10,
}


@pytest_asyncio.fixture(scope="module")
async def pair(auth: AuthService) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two gateways on the same Redis and PostgreSQL."""
    async with gateway(auth, **SETTINGS) as a, gateway(auth, **SETTINGS) as b:
        yield a, b


def update_adding(name: str, content: str) -> bytes:
    """An update that applies to any document: a new file (a map entry with no origin)."""
    doc: Doc[Any] = Doc()
    doc.get("files", type=Map)[name] = Text(content)
    return doc.get_update()


def starts(doc: Doc[Any], prefix: str) -> Callable[[], bool]:
    return lambda: str(text_of(doc)).startswith(prefix)


def holds(doc: Doc[Any], expected: dict[str, str]) -> Callable[[], bool]:
    return lambda: files(doc) == expected


async def stored(sessions: async_sessionmaker[AsyncSession], sid: str) -> tuple[dict[str, str], str]:
    """The PostgreSQL snapshot's files and covered_id."""
    async with sessions() as db:
        row = (await db.execute(select(CollabDocument).where(CollabDocument.session_id == sid))).scalar_one()
    doc: Doc[Any] = Doc()
    doc.apply_update(row.snapshot)
    return files(doc), row.covered_id


async def admitted(client: Raw) -> None:
    """Wait until the socket was admitted (an editor's first sync message follows the welcome)."""
    await client.next(protocol.MESSAGE_SYNC)
    assert client.events[0]["type"] == "welcome", client.events


async def test_two_clients_converge_on_the_snippets_files(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, _ = pair
    owner, editor = await make_account(), await make_account()
    session = await start_session(a, owner)
    joined = await invited(a, owner, session.id, "editor", editor)
    async with (
        synced(socket_url(a, session.id, session.owner_token)) as one,
        synced(socket_url(a, session.id, joined["socket_token"], room=False)) as two,
    ):
        # The first socket's room was seeded from the snippet: files, language, tab order.
        assert files(one) == files(two) == {"main.py": "print('together')\n"}
        assert one.get("meta", type=Map).to_py() == {"language": "python", "order": ["main.py"]}
        text_of(one).insert(0, "# one\n")
        text_two = text_of(two)
        text_two.insert(len(text_two), "# two\n")
        await eventually(lambda: files(one) == files(two) and str(text_of(one)).count("#") == 2)
        assert str(text_of(one)) == "# one\nprint('together')\n# two\n"


async def test_viewer_updates_are_never_applied_nor_relayed(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    owner, viewer = await make_account(), await make_account()
    session = await start_session(a, owner)
    joined = await invited(a, owner, session.id, "viewer", viewer)
    async with (
        synced(socket_url(a, session.id, session.owner_token)) as doc,
        raw(socket_url(b, session.id, joined["socket_token"])) as seen,
    ):
        await seen.send(protocol.sync_step1(b"\x00"))
        step2 = await seen.next(protocol.MESSAGE_SYNC)
        assert step2.sub == protocol.SYNC_STEP2
        assert seen.events[0]["type"] == "welcome"
        assert seen.events[0]["user"]["role"] == "viewer"
        copy: Doc[Any] = Doc()
        copy.apply_update(step2.payload)
        assert files(copy) == files(doc)
        logged = int(redis_client.xlen(collab_updates(session.id)))  # type: ignore[arg-type]

        # Two edits are answered "read-only" (y-protocols' permission denied) and go nowhere; an
        # empty SyncStep2 (every client's handshake) does not count.
        for frame in (
            protocol.sync_update(update_adding("evil.py", "x")),
            protocol.sync_step2(protocol.EMPTY_UPDATE),
            protocol.sync_step2(update_adding("evil2.py", "y")),
        ):
            await seen.send(frame)
        for _ in range(2):
            denied = await seen.next(protocol.MESSAGE_AUTH)
            assert denied.payload == b"read-only"
        # The viewer still receives the editors' changes (so everything before them was handled).
        text_of(doc).insert(0, "# owner\n")
        relayed = await seen.next(protocol.MESSAGE_SYNC)
        copy.apply_update(relayed.payload)
        assert str(text_of(copy)).startswith("# owner\n")
        assert set(files(doc)) == {"main.py"}
        assert redis_client.xlen(collab_updates(session.id)) == logged + 1

        await seen.send(protocol.sync_update(update_adding("evil3.py", "z")))
        assert await seen.closed() == (4403, "Viewers cannot edit")
    assert set(files(doc)) == {"main.py"}


async def test_awareness_is_bound_to_one_client_and_speaks_the_servers_user(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    owner, other = await make_account(), await make_account()
    session = await start_session(a, owner)
    joined = await invited(a, owner, session.id, "editor", other)
    me = session.owner["participant"]
    async with raw(socket_url(b, session.id, joined["socket_token"])) as bob:
        await admitted(bob)
        async with raw(socket_url(a, session.id, session.owner_token)) as ann:
            await admitted(ann)
            spoof = json.dumps({"user": {"name": "Mallory", "color": "#000000"}, "cursor": {"anchor": 3, "head": 4}})
            entries = [AwarenessEntry(111, 1, spoof), AwarenessEntry(222, 5, json.dumps({"user": {"name": "Bob"}}))]
            await ann.send(protocol.awareness(protocol.encode_awareness(entries)))
            user = {
                "name": me["display_name"],
                "color": me["color"],
                "colorLight": f"{me['color']}33",
                "role": "owner",
            }
            state = json.dumps({"user": user, "cursor": {"anchor": 3, "head": 4}}, separators=(",", ":"))
            # Bob (on the other gateway) sees only Ann's client, as the server knows her; Ann gets her echo.
            assert await bob.awareness() == [AwarenessEntry(111, 1, state)]
            assert await ann.awareness() == [AwarenessEntry(111, 1, state)]

            # Once bound, claims about another client are dropped: the next thing Bob hears is Ann's own.
            await ann.send(protocol.awareness(protocol.encode_awareness([AwarenessEntry(222, 6, "null")])))
            await ann.send(protocol.awareness(protocol.encode_awareness([AwarenessEntry(111, 2, '{"cursor":null}')])))
            [renewed] = await bob.awareness()
            assert (renewed.client_id, renewed.clock) == (111, 2)
            assert json.loads(renewed.state) == {"cursor": None, "user": user}
            # Nor may Bob take Ann's clientID for his own: asked, his gateway still knows Ann's state.
            await bob.send(protocol.awareness(protocol.encode_awareness([AwarenessEntry(111, 3, "{}")])))
            await bob.send(protocol.query_awareness())
            [known] = await bob.awareness()
            assert (known.client_id, known.clock) == (111, 2)
        # Ann left: her gateway announces her state's removal, as y-websocket's server does.
        assert await bob.awareness() == [AwarenessEntry(111, 3, "null")]


async def test_a_room_opening_on_another_gateway_learns_the_cursors_there(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    owner = await make_account()
    session = await start_session(a, owner)
    async with raw(socket_url(a, session.id, session.owner_token)) as here:
        await admitted(here)
        await here.send(protocol.awareness(protocol.encode_awareness([AwarenessEntry(77, 1, '{"cursor":1}')])))
        await here.awareness()
        # Gateway B has no room for the session yet: it opens one, asks, and greets its socket with it.
        async with raw(socket_url(b, session.id, session.owner_token)) as there:
            [entry] = await there.awareness(timeout=2)
            assert (entry.client_id, json.loads(entry.state)["cursor"]) == (77, 1)


async def test_over_the_limits_is_an_error_event_then_4413(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, _ = pair
    owner, editor = await make_account(), await make_account()
    session = await start_session(a, owner)
    token = (await invited(a, owner, session.id, "editor", editor))["socket_token"]
    url = socket_url(a, session.id, token)
    many: Doc[Any] = Doc()
    with many.transaction():
        for index in range(65):
            many.get("files", type=Map)[f"f{index}.py"] = Text("")
    cases = [
        (protocol.sync_update(update_adding("big.py", "x" * 9000)), "text-too-large"),
        (protocol.sync_update(many.get_update()), "too-many-files"),
        (b"\x00\x02" + protocol.var_bytes(b"\x00" * (70 << 10)), "message-too-large"),
        (protocol.awareness(protocol.encode_awareness([AwarenessEntry(9, 1, json.dumps({"x": "a" * 5000}))])), None),
    ]
    async with synced(socket_url(a, session.id, session.owner_token)) as doc:
        for frame, code in cases:
            async with raw(url) as client:
                await admitted(client)
                await client.send(frame)
                closed = await client.closed()
                assert closed[0] == 4413, (code, closed)
                error = client.events[-1]
                assert (error["type"], error["code"]) == ("error", code or "awareness-too-large")
        # Nothing of it reached the document; an edit within the limits still does.
        text_of(doc).insert(0, "ok ")
        async with synced(url) as again:
            assert files(again) == {"main.py": "ok print('together')\n"}


async def test_a_new_gateway_restores_the_document_from_postgres_and_the_log(
    auth: AuthService,
    make_account: MakeAccount,
    redis_client: redis.Redis,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    owner = await make_account()
    log_of = collab_updates
    async with contextlib.AsyncExitStack() as first:
        # No compaction while the socket is open: the edit lives only in the log.
        x = await first.enter_async_context(gateway(auth, collab_compact_idle_s=600, collab_compact_max_interval_s=600))
        session = await start_session(x, owner)
        async with raw(socket_url(x, session.id, session.owner_token)) as watcher:
            await admitted(watcher)
            async with synced(socket_url(x, session.id, session.owner_token)) as doc:
                text_of(doc).insert(0, "# kept\n")
                await eventually(lambda: redis_client.xlen(log_of(session.id)) == 1)
                assert (await stored(sessions, session.id)) == ({"main.py": "print('together')\n"}, "0-0")
                # Another gateway (a fresh app) reads the snapshot, then the log after it.
                async with gateway(auth) as y, synced(socket_url(y, session.id, session.owner_token)) as other:
                    assert files(other) == {"main.py": "# kept\nprint('together')\n"}
            # The gateway stops: its sockets are told to reconnect elsewhere (1012), its rooms compacted.
            await first.aclose()
            assert (await watcher.closed())[0] == 1012
    [(last_id, _)] = cast(list[tuple[bytes, Any]], redis_client.xrange(log_of(session.id)))
    assert await stored(sessions, session.id) == ({"main.py": "# kept\nprint('together')\n"}, last_id.decode())
    async with gateway(auth) as z, synced(socket_url(z, session.id, session.owner_token)) as restored:
        assert files(restored) == {"main.py": "# kept\nprint('together')\n"}


async def test_an_edit_reaches_the_other_gateway_within_a_second(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    owner, editor = await make_account(), await make_account()
    session = await start_session(a, owner)
    token = (await invited(a, owner, session.id, "editor", editor))["socket_token"]
    async with (
        synced(socket_url(a, session.id, session.owner_token)) as on_a,
        synced(socket_url(b, session.id, token)) as on_b,
    ):
        for source, target, word in ((on_a, on_b, "there "), (on_b, on_a, "back ")):
            text_of(source).insert(0, word)
            assert await eventually(starts(target, word), timeout=5) < 1.0
        assert files(on_a) == files(on_b) == {"main.py": "back there print('together')\n"}


async def test_a_gap_is_caught_up_from_the_log(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    a, b = pair
    owner = await make_account()
    session = await start_session(a, owner)
    async with (
        synced(socket_url(a, session.id, session.owner_token)) as on_a,
        synced(socket_url(b, session.id, session.owner_token)) as on_b,
    ):
        # An entry whose message never went out (as if pub/sub lost it): the next frame names it as
        # the entry before, and both gateways read the log from where they were.
        redis_client.xadd(collab_updates(session.id), {"u": update_adding("lost.py", "found\n")})
        text_of(on_a).insert(0, "next ")
        for doc in (on_a, on_b):
            await eventually(holds(doc, {"main.py": "next print('together')\n", "lost.py": "found\n"}))


async def test_a_gap_with_no_message_after_it_is_caught_up(
    auth: AuthService, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    owner = await make_account()
    async with gateway(auth, stream_idle_check_s=0.5) as quick:
        session = await start_session(quick, owner)
        async with synced(socket_url(quick, session.id, session.owner_token)) as doc:
            redis_client.xadd(collab_updates(session.id), {"u": update_adding("quiet.py", "heard\n")})
            # Nothing else happens: the room's look at the log's tail finds it.
            assert await eventually(lambda: files(doc).get("quiet.py") == "heard\n", timeout=5) < 3.0


async def test_revocation_and_role_changes_reach_every_gateway(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    owner, editor, demoted = await make_account(), await make_account(), await make_account()
    session = await start_session(a, owner)
    joined = await invited(a, owner, session.id, "editor", editor)
    token = joined["socket_token"]
    lowered = (await invited(a, owner, session.id, "editor", demoted))["socket_token"]
    async with (
        raw(socket_url(a, session.id, token)) as on_a,
        raw(socket_url(b, session.id, token)) as on_b,
        raw(socket_url(b, session.id, lowered)) as changed,
    ):
        for client in (on_a, on_b, changed):
            await admitted(client)
        path = f"/v1/collab/sessions/{session.id}/participants"
        revoked = await a.delete(f"{path}/{joined['participant']['id']}", headers=owner.headers)
        assert revoked.status_code == 204, revoked.text
        for client in (on_a, on_b):
            assert await client.closed() == (4403, "Revoked by the session's owner")
            assert client.events[-1] == {"type": "revoked"}

        users = f"/v1/collab/sessions/{session.id}/users"
        named = await b.put(f"{users}/{demoted.id}", headers=owner.headers, json={"role": "viewer"})
        assert named.status_code == 200, named.text
        assert await changed.event("role") == {"type": "role", "role": "viewer"}
        # From now on its edits are refused like any viewer's.
        await changed.send(protocol.sync_update(update_adding("late.py", "no")))
        assert (await changed.next(protocol.MESSAGE_AUTH)).payload == b"read-only"

    # The revoked participant's token no longer opens the socket.
    async with raw(socket_url(b, session.id, token)) as again:
        assert (await again.closed())[0] == 4403


async def test_the_participant_cap_holds_across_gateways(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], make_account: MakeAccount
) -> None:
    a, b = pair
    owner, second, third = await make_account(), await make_account(), await make_account()
    session = await start_session(a, owner, max_participants=3)
    second_token = (await invited(a, owner, session.id, "editor", second))["socket_token"]
    third_token = (await invited(a, owner, session.id, "viewer", third))["socket_token"]
    # Three participants hold places; lowering the cap admits only two at a time on the socket.
    lowered = await a.patch(f"/v1/collab/sessions/{session.id}", headers=owner.headers, json={"max_participants": 2})
    assert lowered.status_code == 200, lowered.text
    async with raw(socket_url(a, session.id, session.owner_token)) as first:
        await admitted(first)
        async with raw(socket_url(b, session.id, second_token)) as two:
            await admitted(two)
            async with raw(socket_url(a, session.id, third_token)) as refused:
                assert await refused.closed() == (4429, "Session full")
                assert refused.events[-1]["code"] == "session-full"
            # A participant's second socket (another tab) takes no other place.
            async with raw(socket_url(b, session.id, session.owner_token)) as tab:
                await admitted(tab)
        # The second participant left: the third gets in.
        async with raw(socket_url(a, session.id, third_token)) as three:
            await three.send(protocol.sync_step1(b"\x00"))
            assert (await three.next(protocol.MESSAGE_SYNC)).sub == protocol.SYNC_STEP2


async def test_ending_the_session_compacts_then_closes_4410(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient],
    make_account: MakeAccount,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = pair
    owner = await make_account()
    session = await start_session(a, owner)
    async with raw(socket_url(b, session.id, session.owner_token)) as watcher:
        await admitted(watcher)
        async with synced(socket_url(a, session.id, session.owner_token)) as doc:
            text_of(doc).insert(0, "# last words\n")
            await watcher.next(protocol.MESSAGE_SYNC)
            ended = await a.delete(f"/v1/collab/sessions/{session.id}", headers=owner.headers)
            assert ended.status_code == 204, ended.text
            assert await watcher.closed() == (4410, "The session ended")
            assert watcher.events[-1] == {"type": "ended"}
    assert (await stored(sessions, session.id))[0] == {"main.py": "# last words\nprint('together')\n"}
    async with raw(socket_url(a, session.id, session.owner_token)) as late:
        assert (await late.closed())[0] == 4410
