"""One room per session on each gateway: the session's document, the sockets this gateway serves
for it, and the work that keeps the document in step with the other gateways and PostgreSQL.

A single task applies updates in order, local and relayed alike. A local editor's update is
checked against the limits, applied, appended to the session's log (XADD, published in the same
step), and only then sent to the other local sockets: nothing a client saw can be missing from
the log. ``last_id`` is the log entry up to which this room has applied everything; it is what a
compaction may fold into the snapshot and where a catch-up reads from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pycrdt import Doc, merge_updates
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.gateway.collab import documents, protocol
from services.gateway.collab.documents import apply
from services.gateway.collab.peers import (
    CLOSE_BAD_MESSAGE,
    CLOSE_ENDED,
    CLOSE_FORBIDDEN,
    CLOSE_INTERNAL,
    CLOSE_RESTART,
    CLOSE_TOO_LARGE,
    AwarenessBook,
    Peer,
    error_event,
)
from services.gateway.collab.presence import Presence, field
from services.gateway.collab.relay import (
    START_ID,
    AwarenessFrame,
    AwarenessQuery,
    UpdateFrame,
    UpdateLog,
    decode_control,
    decode_frame,
    id_order,
)
from services.gateway.relay import Subscription
from shared.redis_keys import collab_control_channel

if TYPE_CHECKING:
    from services.gateway.state import GatewayState

logger = logging.getLogger("coderunhub.gateway.collab")

VIEWER_STRIKES = 3
_INBOX = 256
_TICK_S = 0.25
_RECENT_S = 60.0
_FAILURES = (RedisError, OSError, SQLAlchemyError, TimeoutError)


@dataclass(frozen=True, slots=True)
class _Local:
    peer: Peer
    update: bytes


class _CatchUp:
    pass


_CATCH_UP = _CatchUp()
_Work = _Local | UpdateFrame | _CatchUp | None


class Room:
    def __init__(self, state: GatewayState, session_id: uuid.UUID, presence: Presence) -> None:
        self.session_id = session_id
        self._state = state
        self._settings = state.settings
        self._presence = presence
        self.doc: Doc[Any] = Doc()
        # What each applied update changed (nothing, for one that repeats what the room has).
        self._changes: list[bytes] = []
        self.doc.observe(lambda event: self._changes.append(event.update))
        self.peers: dict[str, Peer] = {}
        self.last_id = START_ID
        # Entries this room appended while others it had not seen came before them.
        self._own: set[str] = set()
        self._log = UpdateLog(state.redis, session_id, state.settings.collab_log_ttl_s)
        self._awareness = AwarenessBook()
        # Revocations and role changes of the last minute, by participant: for sockets whose
        # admission read PostgreSQL just before the change committed.
        self._recent: dict[str, tuple[float, dict[str, Any]]] = {}
        # Tells this room's own awareness frames from other gateways' on the shared channel.
        self._origin = secrets.token_hex(8)
        self._inbox: asyncio.Queue[_Work] = asyncio.Queue(_INBOX)
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._apply_task: asyncio.Task[None] | None = None
        self.users = 0
        self.opening: asyncio.Future[None] | None = None
        self.broken = False
        self._closed = False
        # Upper bounds of the document's size, for the limits.
        self._bounds = documents.Bounds(state.settings)
        # Compaction: edits since the last one, when the first and the last of them came.
        self._edits = 0
        self._dirty_since: float | None = None
        self._last_edit = 0.0
        self._next_compaction = 0.0
        self._compacting = asyncio.Lock()

    # --- life ----------------------------------------------------------------------------------

    async def open(self) -> None:
        hub = self._state.hub
        # Subscribed before reading anything: whatever is published meanwhile is applied after.
        updates = await self._stack.enter_async_context(hub.subscribe(self._log.channel))
        control = await self._stack.enter_async_context(hub.subscribe(collab_control_channel(self.session_id)))
        # The first room of a session finds no snapshot: the snippet's files become the first one.
        stored = await documents.load(self._state.sessionmaker, self.session_id)
        if stored is None:
            stored = await documents.seed(self._state.sessionmaker, self.session_id)
        if stored is not None:
            apply(self.doc, stored.snapshot)
            self.last_id = stored.covered_id
        await self._catch_up()
        self._bounds.measure(self.doc)
        # The other gateways' clients' cursors, for this room's first socket (they answer with A frames).
        with contextlib.suppress(*_FAILURES):
            await self._log.query_awareness(self._origin)
        self._apply_task = asyncio.create_task(self._apply_loop(), name=f"collab-apply-{self.session_id}")
        self._tasks = [
            asyncio.create_task(self._follow(updates), name=f"collab-relay-{self.session_id}"),
            asyncio.create_task(self._follow_control(control), name=f"collab-control-{self.session_id}"),
            asyncio.create_task(self._tick(), name=f"collab-tick-{self.session_id}"),
        ]

    async def close(self) -> None:
        """After the last socket left: apply what they sent, compact, unsubscribe."""
        if self._closed:
            return
        self._closed = True
        if self.opening is not None and not self.opening.done():
            await asyncio.wait({self.opening}, timeout=10.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._apply_task is not None:
            with contextlib.suppress(asyncio.QueueFull):
                self._inbox.put_nowait(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._apply_task), 5.0)
            self._apply_task.cancel()
            await asyncio.gather(self._apply_task, return_exceptions=True)
            if self._dirty_since is not None and not self.broken:
                await self.compact(wait=True)
        with contextlib.suppress(*_FAILURES):
            await self._stack.aclose()

    async def shutdown(self) -> None:
        """The gateway stops: compact, then send every socket elsewhere (1012: clients reconnect)."""
        if self._dirty_since is not None:
            await self.compact(wait=True)
        for peer in list(self.peers.values()):
            peer.close(CLOSE_RESTART, "Gateway restarting")

    def _fail(self, error: BaseException) -> None:
        """The room can no longer keep its promises (Redis gone): clients reconnect, with backoff,
        to a new room; whatever they sent that was never logged, their own docs still hold."""
        logger.warning("collab room %s failed: %r", self.session_id, error)
        self.broken = True
        for peer in list(self.peers.values()):
            peer.close(CLOSE_INTERNAL, "Try again")

    # --- sockets -------------------------------------------------------------------------------

    def add(self, peer: Peer) -> None:
        self.peers[peer.id] = peer
        peer.event({"type": "welcome", "participant_id": str(peer.admission.participant_id), "user": peer.user})
        # A revocation or role change published while the socket was being admitted.
        missed = self._recent.get(str(peer.admission.participant_id))
        if missed is not None and missed[0] >= peer.admitted_at:
            self._apply_control(peer, missed[1])
        if peer.editor:
            # Asks the client for what it has and we lack (offline edits); viewers have nothing to give.
            peer.send(protocol.sync_step1(self.doc.get_state()))
        if (known := self._awareness.snapshot()) is not None:
            peer.send(known)

    async def remove(self, peer: Peer) -> None:
        self.peers.pop(peer.id, None)
        gone = self._awareness.leave(peer)
        if gone is not None:
            await self._announce(protocol.encode_awareness([gone]))

    def presence_fields(self) -> list[str]:
        return [field(p.admission.participant_id, p.id) for p in self.peers.values() if p.closing is None]

    async def receive(self, peer: Peer, frame: bytes) -> None:
        """One message from a socket; closes it on a protocol violation."""
        try:
            message = protocol.decode(frame)
            if message.type == protocol.MESSAGE_SYNC:
                await self._sync(peer, message)
            elif message.type == protocol.MESSAGE_AWARENESS:
                await self._client_awareness(peer, message.payload)
            elif message.type == protocol.MESSAGE_QUERY_AWARENESS and (known := self._awareness.snapshot()):
                peer.send(known)
            # Auth messages only ever go to clients: one from a client says nothing we act on.
        except protocol.AwarenessTooLarge as error:
            peer.close(CLOSE_TOO_LARGE, "Awareness state too large", error_event("awareness-too-large", str(error)))
        except protocol.ProtocolError as error:
            peer.close(CLOSE_BAD_MESSAGE, str(error)[:100])

    async def _sync(self, peer: Peer, message: protocol.Message) -> None:
        if message.sub == protocol.SYNC_STEP1:
            try:
                missing = self.doc.get_update(message.payload)
            except ValueError as error:
                raise protocol.ProtocolError("malformed state vector") from error
            peer.send(protocol.sync_step2(missing))
            return
        if message.payload == protocol.EMPTY_UPDATE:
            return
        if peer.role != "editor":
            # Never applied nor relayed. A just-demoted editor's handshake may still carry edits,
            # so the first ones are forgiven.
            peer.strikes += 1
            if peer.strikes >= VIEWER_STRIKES:
                peer.close(CLOSE_FORBIDDEN, "Viewers cannot edit")
            else:
                peer.send(protocol.permission_denied("read-only"))
            return
        await self._inbox.put(_Local(peer, message.payload))

    async def _client_awareness(self, peer: Peer, update: bytes) -> None:
        bound, entries = protocol.rewrite_awareness(
            update, bound=peer.client_id, user=peer.user, max_state_bytes=self._settings.collab_max_awareness_bytes
        )
        if peer.client_id is None and bound is not None:
            if not self._awareness.may_bind(peer, bound):
                return
            peer.client_id = bound
        if entries:
            self._awareness.record(entries, peer.id)
            await self._announce(protocol.encode_awareness(entries))

    async def _announce(self, update: bytes) -> None:
        # To every local socket, the sender's too: y-websocket's client reconnects after 30 s
        # without a message, and its 15-second awareness renewals coming back keep it alive.
        self._broadcast(protocol.awareness(update))
        try:
            await self._log.publish_awareness(self._origin, update)
        except _FAILURES as error:
            logger.info("awareness not relayed for %s: %r", self.session_id, error)

    def _broadcast(self, frame: bytes, skip: Peer | None = None) -> None:
        for peer in list(self.peers.values()):
            if peer is not skip:
                peer.send(frame)

    # --- the document --------------------------------------------------------------------------

    async def _apply_loop(self) -> None:
        while (work := await self._inbox.get()) is not None:
            try:
                if isinstance(work, _Local):
                    await self._local(work.peer, work.update)
                elif isinstance(work, UpdateFrame):
                    await self._relayed(work)
                else:
                    await self._catch_up()
            except _FAILURES as error:
                self._fail(error)
                return
            except Exception as error:
                # A log entry that does not apply, say: the room cannot vouch for its document.
                logger.exception("collab room %s stopped applying updates", self.session_id)
                self._fail(error)
                return

    async def _local(self, peer: Peer, update: bytes) -> None:
        # A socket the server closed (revoked, refused, sent elsewhere) no longer edits; one that
        # simply left still has its last updates accepted.
        if peer.role != "editor" or peer.closing is not None:
            return
        self._changes.clear()
        try:
            self._bounds.apply(self.doc, update)
        except documents.TooLarge as error:
            peer.close(CLOSE_TOO_LARGE, "Document too large", error_event(error.code, str(error)))
            return
        except protocol.ProtocolError as error:
            peer.close(CLOSE_BAD_MESSAGE, str(error))
            return
        if not self._changes:
            # Nothing new: clients may send back what they were sent (pycrdt's Provider does).
            return
        # What the update changed, not what the client sent: only news reaches the log and others.
        update = self._changes[0] if len(self._changes) == 1 else merge_updates(*self._changes)
        new, prev = await self._log.append(update)
        if prev == self.last_id:
            self.last_id = new
        else:
            self._own.add(new)
        self._broadcast(protocol.sync_update(update), skip=peer)
        self._edited()

    async def _relayed(self, frame: UpdateFrame) -> None:
        if frame.id in self._own:
            self._own.discard(frame.id)
            if frame.prev == self.last_id:
                self.last_id = frame.id
                return
        elif id_order(frame.id) <= id_order(self.last_id):
            return
        elif frame.prev == self.last_id:
            apply(self.doc, frame.update)
            self.last_id = frame.id
            self._broadcast(protocol.sync_update(frame.update))
            self._bounds.grew(self.doc, len(frame.update))
            self._edited()
            return
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Apply the log after ``last_id`` (and the snapshot, when a compaction trimmed entries this
        room never saw); local sockets get the difference as one update."""
        before = self.doc.get_state()
        entries, first = await self._log.after(self.last_id)
        reloaded = False
        if first is not None and id_order(first) > id_order(self.last_id):
            stored = await documents.load(self._state.sessionmaker, self.session_id)
            if stored is not None and id_order(stored.covered_id) > id_order(self.last_id):
                apply(self.doc, stored.snapshot)
                self.last_id, reloaded = stored.covered_id, True
                entries, _ = await self._log.after(self.last_id)
        for entry_id, update in entries:
            apply(self.doc, update)
            self.last_id = entry_id
        self._own = {i for i in self._own if id_order(i) > id_order(self.last_id)}
        if entries or reloaded:
            # Deletions leave the state vector as it was: the difference always carries them.
            missing = self.doc.get_update(before)
            self._broadcast(protocol.sync_update(missing))
            self._bounds.grew(self.doc, len(missing))
            self._edited()

    def _edited(self) -> None:
        now = time.monotonic()
        self._edits += 1
        self._last_edit = now
        if self._dirty_since is None:
            self._dirty_since = now

    # --- persistence ---------------------------------------------------------------------------

    async def compact(self, *, wait: bool = False) -> bool:
        """Fold the log into the snapshot (documents.compact); with ``wait``, wait a little for
        another gateway holding the lock. True once compacted."""
        for _ in range(10 if wait else 1):
            async with self._compacting:
                edits = self._edits
                try:
                    size = await documents.compact(
                        self._state.redis, self._state.sessionmaker, self._log, self.session_id, self.doc, self.last_id
                    )
                except _FAILURES as error:
                    logger.warning("compaction of %s failed: %r", self.session_id, error)
                    return False
                if size is not None:
                    self._bounds.measure(self.doc, size)
                    if self._edits == edits:
                        self._dirty_since = None
                    return True
            if wait:
                await asyncio.sleep(0.2)
        return False

    async def _tick(self) -> None:
        settings = self._settings
        renew_every = settings.collab_presence_ttl_s / 3
        renewed = checked = pruned = time.monotonic()
        while True:
            await asyncio.sleep(_TICK_S)
            now = time.monotonic()
            try:
                if self._dirty_since is not None and now >= self._next_compaction:
                    settled = now - self._last_edit >= settings.collab_compact_idle_s
                    overdue = now - self._dirty_since >= settings.collab_compact_max_interval_s
                    if (settled or overdue) and not await self.compact():
                        self._next_compaction = now + 1.0
                if now - renewed >= renew_every:
                    renewed = now
                    await self._presence.renew(self.session_id, self.presence_fields())
                if now - checked >= settings.stream_idle_check_s:
                    # A lost message the hub could not notice: the log's tail says so.
                    checked = now
                    tail = await self._log.last()
                    if tail is not None and id_order(tail) > id_order(self.last_id):
                        await self._inbox.put(_CATCH_UP)
            except _FAILURES as error:
                logger.info("collab room %s housekeeping: %r", self.session_id, error)
            if now - pruned >= 5.0:
                pruned = now
                self._awareness.prune()

    # --- other gateways ------------------------------------------------------------------------

    async def _follow(self, subscription: Subscription) -> None:
        while True:
            payload = await subscription.next(wait_s=self._settings.stream_idle_check_s)
            if payload is None:
                if subscription.take_gap():
                    await self._inbox.put(_CATCH_UP)
                continue
            frame = decode_frame(payload)
            if isinstance(frame, UpdateFrame):
                await self._inbox.put(frame)
            elif isinstance(frame, AwarenessFrame) and frame.origin != self._origin:
                self._remote_awareness(frame.update)
            elif isinstance(frame, AwarenessQuery) and frame.origin != self._origin:
                await self._answer_query()

    async def _answer_query(self) -> None:
        if (local := self._awareness.local()) is not None:
            with contextlib.suppress(*_FAILURES):
                await self._log.publish_awareness(self._origin, local)

    def _remote_awareness(self, update: bytes) -> None:
        try:
            entries = protocol.decode_awareness(update)
        except protocol.ProtocolError:
            return
        self._awareness.record(entries, "")
        self._broadcast(protocol.awareness(update))

    async def _follow_control(self, subscription: Subscription) -> None:
        while True:
            payload = await subscription.next(wait_s=60.0)
            if payload is None:
                subscription.take_gap()
                continue
            event = decode_control(payload)
            if event is not None:
                await self._control(event)

    async def _control(self, event: dict[str, Any]) -> None:
        """A control event from the REST side (services/gateway/collab/control.py)."""
        kind = event["type"]
        if kind in ("revoked", "role"):
            participant = str(event.get("participant_id", ""))
            now = time.monotonic()
            self._recent = {p: seen for p, seen in self._recent.items() if now - seen[0] < _RECENT_S}
            self._recent[participant] = (now, event)
            for peer in [p for p in self.peers.values() if str(p.admission.participant_id) == participant]:
                self._apply_control(peer, event)
        elif kind == "ended":
            await self.compact(wait=True)
            for peer in list(self.peers.values()):
                peer.close(CLOSE_ENDED, "The session ended", {"type": "ended"})
        else:
            # Other session events (a run started, a save) reach every participant as they are.
            self._broadcast(protocol.event(event))

    def _apply_control(self, peer: Peer, event: dict[str, Any]) -> None:
        if event["type"] == "revoked":
            peer.close(CLOSE_FORBIDDEN, "Revoked by the session's owner", {"type": "revoked"})
        elif event.get("role") in ("editor", "viewer") and event["role"] != peer.role:
            promoted = event["role"] == "editor"
            peer.role, peer.strikes = event["role"], 0
            peer.event({"type": "role", "role": peer.role})
            if promoted:
                peer.send(protocol.sync_step1(self.doc.get_state()))
