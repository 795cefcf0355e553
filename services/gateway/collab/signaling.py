"""WebRTC signaling for a session on one gateway: its signal sockets, the peer ids they speak for,
and the relay of their messages between gateways.

Every message a socket publishes goes to the session's signal channel in Redis, and every gateway
with signal sockets of the session (this one too) delivers it to its own: an addressed message
(``to``) only to the socket that bound that peer id, an announce to every other subscriber of the
topic, never back to its sender. A peer id is bound, across gateways, to the first socket that
speaks for it (Redis SET NX, renewed while the socket lives): nobody else may use it, so nobody
reads the offers and ICE candidates meant for someone else. Control events (revocations, role
changes, the end) reach the room on the session's control channel, as they reach the y-websocket
rooms (room.py). Protocol: docs/api.md, "Collaborative sessions: WebRTC signaling".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.gateway.collab import repository as repo
from services.gateway.collab.access import Admission
from services.gateway.collab.peers import CLOSE_ENDED, CLOSE_FORBIDDEN, CLOSE_RESTART, CLOSE_SLOW, Closing
from services.gateway.collab.presence import Presence, field
from services.gateway.collab.relay import decode_control
from services.gateway.collab.rtc import RoomKind
from services.gateway.relay import Subscription
from shared.redis_keys import collab_control_channel, collab_signal_channel, collab_signal_peer, collab_signal_presence

if TYPE_CHECKING:
    from services.gateway.state import GatewayState

logger = logging.getLogger("coderunhub.gateway.collab")

_FAILURES = (RedisError, OSError, SQLAlchemyError, TimeoutError)
# On shutdown, how long sockets closed with 1012 get to leave before their rooms are closed anyway.
_SHUTDOWN_GRACE_S = 5.0

# KEYS: the socket's peer-id keys. ARGV: the socket's id, the TTL (s). Renews the keys the socket
# holds, takes back any that expired meanwhile (a late renewal); returns the indexes (1-based) of
# those another socket holds now.
_RENEW_PEERS = """
local lost = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == ARGV[1] then
    redis.call('EXPIRE', key, tonumber(ARGV[2]))
  elseif not holder then
    redis.call('SET', key, ARGV[1], 'EX', tonumber(ARGV[2]))
  else
    lost[#lost + 1] = i
  end
end
return lost
"""

# KEYS: peer-id keys. ARGV: the socket's id. Deletes those the socket holds.
_RELEASE_PEERS = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


class SignalSocket:
    """One signal socket: what it may subscribe to, what it did, and its outbound queue (text
    frames; a reader that lets too much pile up is closed 1013, as peers.Peer is)."""

    def __init__(self, admission: Admission, rooms: dict[RoomKind, str], max_queued_bytes: int) -> None:
        self.id = secrets.token_hex(8)
        self.admission = admission
        self.participant = str(admission.participant_id)
        self.role: str = admission.role
        self.rooms = rooms
        self.subscribed: set[str] = set()
        #: The peer ids this socket bound, each with the topics it published on with it.
        self.peers: dict[str, set[str]] = {}
        self.closing: Closing | None = None
        self.closed = asyncio.Event()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queued_bytes = 0
        self._max_queued_bytes = max_queued_bytes

    def allowed(self, topic: str) -> bool:
        """The voice room for everyone, the document's for editors only."""
        return topic == self.rooms["voice"] or (self.role == "editor" and topic == self.rooms["document"])

    def send(self, text: str) -> None:
        if self.closing is not None:
            return
        if self._queued_bytes + len(text) > self._max_queued_bytes:
            self.close(CLOSE_SLOW, "Too far behind")
            return
        self._queued_bytes += len(text)
        self._queue.put_nowait(text)

    def message(self, body: dict[str, Any]) -> None:
        self.send(json.dumps(body, separators=(",", ":")))

    def close(self, code: int, reason: str, message: dict[str, Any] | None = None) -> None:
        """Close after ``message``, dropping whatever else was queued."""
        if self.closing is not None:
            return
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queued_bytes = 0
        if message is not None:
            self._queue.put_nowait(json.dumps(message, separators=(",", ":")))
        self._queue.put_nowait(None)
        self.closing = Closing(code, reason)
        self.closed.set()

    async def next(self) -> str | None:
        """The next frame to send, or None: time to send the close frame."""
        text = await self._queue.get()
        if text is not None:
            self._queued_bytes -= len(text)
        return text


def _by_topic(peers: dict[str, set[str]]) -> dict[str, list[str]]:
    """A socket's peer ids (each with its topics) as each topic's peer ids."""
    topics: dict[str, list[str]] = {}
    for peer, on in sorted(peers.items()):
        for topic in on:
            topics.setdefault(topic, []).append(peer)
    return topics


def error_message(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **fields}


class SignalRoom:
    """A session's signal sockets on this gateway."""

    def __init__(self, state: GatewayState, session_id: uuid.UUID, presence: Presence) -> None:
        self.session_id = session_id
        self._state = state
        self._redis = state.redis
        self._settings = state.settings
        self._presence = presence
        self._channel = collab_signal_channel(session_id)
        self.sockets: dict[str, SignalSocket] = {}
        self._renew_peers = state.redis.register_script(_RENEW_PEERS)
        self._release_peers = state.redis.register_script(_RELEASE_PEERS)
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self.users = 0
        self.opening: asyncio.Future[None] | None = None
        self._closed = False

    # --- life ----------------------------------------------------------------------------------

    async def open(self) -> None:
        hub = self._state.hub
        signals = await self._stack.enter_async_context(hub.subscribe(self._channel))
        control = await self._stack.enter_async_context(hub.subscribe(collab_control_channel(self.session_id)))
        self._tasks = [
            asyncio.create_task(self._follow(signals), name=f"collab-signal-{self.session_id}"),
            asyncio.create_task(self._follow_control(control), name=f"collab-signal-control-{self.session_id}"),
            asyncio.create_task(self._tick(), name=f"collab-signal-tick-{self.session_id}"),
        ]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.opening is not None and not self.opening.done():
            await asyncio.wait({self.opening}, timeout=10.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(*_FAILURES):
            await self._stack.aclose()

    def add(self, socket: SignalSocket) -> None:
        self.sockets[socket.id] = socket

    async def remove(self, socket: SignalSocket) -> None:
        """The socket is gone: its peers left every room (the others close their connections to
        them now rather than when ICE gives up, tens of seconds later), and its peer ids are free."""
        self.sockets.pop(socket.id, None)
        if socket.peers:
            await self._publish_drop(socket, _by_topic(socket.peers), None)
            keys = [collab_signal_peer(self.session_id, peer) for peer in socket.peers]
            socket.peers = {}
            with contextlib.suppress(*_FAILURES):
                await self._release_peers(keys=keys, args=[socket.id])

    async def unsubscribe(self, socket: SignalSocket, topics: Iterable[str]) -> None:
        """y-webrtc left these rooms (voice left, the page's provider destroyed): its peers there
        are gone for the others. Whatever the socket published before reached them first: one
        socket's frames are relayed in order."""
        left = set(topics) & socket.subscribed
        socket.subscribed.difference_update(left)
        for topic in sorted(left):
            peers = _by_topic(socket.peers).get(topic)
            for peer in peers or ():
                # Still this socket's id (a later publish under it stays its own), out of the room.
                socket.peers[peer].discard(topic)
            if peers:
                await self._publish_drop(socket, {topic: peers}, topic)

    # --- what sockets send ---------------------------------------------------------------------

    async def bind(self, socket: SignalSocket, peer_id: str, topic: str) -> str | None:
        """Let ``socket`` speak as ``peer_id`` on ``topic``; the error code when it may not."""
        topics = socket.peers.get(peer_id)
        if topics is None:
            if len(socket.peers) >= self._settings.collab_signal_max_peer_ids:
                return "too-many-peer-ids"
            key = collab_signal_peer(self.session_id, peer_id)
            ttl = self._settings.collab_presence_ttl_s
            if not await self._redis.set(key, socket.id, nx=True, ex=ttl):
                return "peer-id-taken"
            topics = socket.peers[peer_id] = set()
        topics.add(topic)
        return None

    async def publish(self, socket: SignalSocket, topic: str, data: dict[str, Any]) -> None:
        frame = {"kind": "publish", "socket": socket.id, "participant": socket.participant, "topic": topic}
        await self._redis.publish(self._channel, json.dumps({**frame, "data": data}, separators=(",", ":")))

    # --- what other gateways (and this one) relay ----------------------------------------------

    async def _follow(self, subscription: Subscription) -> None:
        while True:
            payload = await subscription.next(wait_s=60.0)
            if payload is None:
                # Lost messages are not replayed: y-webrtc announces again when it reconnects.
                subscription.take_gap()
                continue
            try:
                frame = json.loads(payload)
                if frame["kind"] == "publish":
                    self._deliver(frame)
                elif frame["kind"] == "drop":
                    self._dropped(frame)
            except (ValueError, KeyError, TypeError, AttributeError):
                logger.warning("signal frame of %s not understood", self.session_id)

    def _deliver(self, frame: dict[str, Any]) -> None:
        topic, data = frame["topic"], frame["data"]
        to = data.get("to")
        text: str | None = None
        for socket in list(self.sockets.values()):
            if socket.id == frame["socket"] or topic not in socket.subscribed:
                continue
            # Offers, answers and candidates reveal addresses: only for the peer they are meant for.
            if to is not None and to not in socket.peers:
                continue
            if text is None:
                body = {"type": "publish", "topic": topic, "data": data, "participant": frame["participant"]}
                text = json.dumps(body, separators=(",", ":"))
            socket.send(text)

    def _dropped(self, frame: dict[str, Any]) -> None:
        """Peers that left a topic (revoked, or no longer an editor): their connections are to close."""
        peers: dict[str, list[str]] = frame["peers"]
        topic: str | None = frame.get("topic")
        for socket in list(self.sockets.values()):
            if socket.id == frame["socket"] or socket.participant == frame["participant"]:
                continue
            gone = sorted({peer for t, ids in peers.items() if t in socket.subscribed for peer in ids})
            if gone:
                body: dict[str, Any] = {"type": "drop", "peers": gone, "participant": frame["participant"]}
                socket.message({**body, "topic": topic} if topic is not None else body)

    async def _publish_drop(self, socket: SignalSocket, peers: dict[str, list[str]], topic: str | None) -> None:
        if not any(peers.values()):
            return
        frame = {"kind": "drop", "socket": socket.id, "participant": socket.participant, "peers": peers}
        if topic is not None:
            frame["topic"] = topic
        try:
            await self._redis.publish(self._channel, json.dumps(frame, separators=(",", ":")))
        except _FAILURES as error:
            logger.info("drop not relayed for %s: %r", self.session_id, error)

    # --- control events ------------------------------------------------------------------------

    async def _follow_control(self, subscription: Subscription) -> None:
        while True:
            payload = await subscription.next(wait_s=60.0)
            if payload is None:
                if subscription.take_gap():
                    # A revocation may be among what was lost: PostgreSQL has the word.
                    with contextlib.suppress(*_FAILURES):
                        await self.recheck(list(self.sockets.values()))
                continue
            event = decode_control(payload)
            if event is not None:
                await self._control(event)

    async def _control(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "ended":
            for socket in list(self.sockets.values()):
                socket.close(CLOSE_ENDED, "The session ended", {"type": "ended"})
            return
        if kind not in ("revoked", "role"):
            return
        participant = str(event.get("participant_id", ""))
        for socket in [s for s in self.sockets.values() if s.participant == participant]:
            if kind == "revoked":
                await self._revoke(socket)
            elif event.get("role") in ("editor", "viewer"):
                await self._set_role(socket, str(event["role"]))

    async def _revoke(self, socket: SignalSocket) -> None:
        if socket.closing is not None:
            return
        peers: dict[str, list[str]] = {}
        for peer, topics in socket.peers.items():
            for topic in topics:
                peers.setdefault(topic, []).append(peer)
        socket.close(CLOSE_FORBIDDEN, "Revoked by the session's owner", {"type": "revoked"})
        await self._publish_drop(socket, peers, None)

    async def _set_role(self, socket: SignalSocket, role: str) -> None:
        if role == socket.role or socket.closing is not None:
            return
        socket.role = role
        document = socket.rooms["document"]
        if role == "editor":
            socket.message({"type": "role", "role": "editor", "rooms": {"document": document}})
            return
        # No longer in the document's room: nothing more of it reaches the socket, and the editors
        # close the data channels they had with its peers (y-webrtc would apply a viewer's updates).
        socket.subscribed.discard(document)
        socket.message({"type": "role", "role": "viewer"})
        gone = [peer for peer, topics in socket.peers.items() if document in topics]
        for peer in gone:
            socket.peers[peer].discard(document)
        await self._publish_drop(socket, {document: gone}, document)

    async def recheck(self, sockets: Iterable[SignalSocket]) -> None:
        """Apply what PostgreSQL says of the sockets' participants now: the word on any control
        event published before the room heard it (while a socket was being admitted, or lost)."""
        sockets = [s for s in sockets if s.closing is None]
        if not sockets:
            return
        async with self._state.sessionmaker() as db:
            row = await repo.get(db, self.session_id)
            rows = {str(p.id): p for p in await repo.participants(db, self.session_id)} if row is not None else {}
        for socket in sockets:
            participant = rows.get(socket.participant)
            if row is None or row.status != "active":
                socket.close(CLOSE_ENDED, "The session ended", {"type": "ended"})
            elif participant is None or participant.revoked_at is not None:
                await self._revoke(socket)
            else:
                await self._set_role(socket, "editor" if participant.role == "editor" else "viewer")

    # --- housekeeping --------------------------------------------------------------------------

    async def _tick(self) -> None:
        ttl = self._settings.collab_presence_ttl_s
        while True:
            await asyncio.sleep(ttl / 3)
            live = [s for s in self.sockets.values() if s.closing is None]
            try:
                await self._presence.renew(self.session_id, [field(s.admission.participant_id, s.id) for s in live])
                for socket in live:
                    if socket.peers:
                        await self._renew(socket, ttl)
            except _FAILURES as error:
                logger.info("signal room %s housekeeping: %r", self.session_id, error)

    async def _renew(self, socket: SignalSocket, ttl: int) -> None:
        peers = list(socket.peers)
        keys = [collab_signal_peer(self.session_id, peer) for peer in peers]
        lost = await self._renew_peers(keys=keys, args=[socket.id, ttl])
        for index in lost:
            # Another socket took it while this one's renewal was late: it is theirs now.
            socket.peers.pop(peers[int(index) - 1], None)

    async def shutdown(self) -> None:
        for socket in list(self.sockets.values()):
            socket.close(CLOSE_RESTART, "Gateway restarting")


class SignalRooms:
    """The gateway's signal rooms, one per session with signal sockets here; owned by the lifespan."""

    def __init__(self, state: GatewayState) -> None:
        self._state = state
        self._rooms: dict[uuid.UUID, SignalRoom] = {}
        self._none_open = asyncio.Event()
        self._none_open.set()
        self.presence = Presence(state.redis, state.settings.collab_presence_ttl_s, collab_signal_presence)

    def get(self, session_id: uuid.UUID) -> SignalRoom | None:
        return self._rooms.get(session_id)

    @contextlib.asynccontextmanager
    async def enter(self, session_id: uuid.UUID) -> AsyncIterator[SignalRoom]:
        """The session's room, opened by the first socket and closed after the last one leaves."""
        room = self._rooms.get(session_id)
        if room is None:
            room = self._rooms[session_id] = SignalRoom(self._state, session_id, self.presence)
            self._none_open.clear()
            room.opening = asyncio.ensure_future(room.open())
        opening = room.opening
        assert opening is not None
        room.users += 1
        try:
            await asyncio.shield(opening)
            yield room
        finally:
            room.users -= 1
            if room.users == 0:
                if self._rooms.get(session_id) is room:
                    del self._rooms[session_id]
                    if not self._rooms:
                        self._none_open.set()
                await asyncio.shield(room.close())

    async def stop(self) -> None:
        """Lifespan exit: send every socket elsewhere (1012) and wait for them to leave."""
        for room in list(self._rooms.values()):
            await room.shutdown()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_open.wait(), _SHUTDOWN_GRACE_S)
        for room in list(self._rooms.values()):
            del self._rooms[room.session_id]
            await room.close()
