"""What a room knows of the clients it serves: each socket's peer (outbound queue, role, the
awareness clientID it speaks for) and the awareness states of every client of the session, local
or on another gateway."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from services.gateway.collab import protocol
from services.gateway.collab.access import Admission
from services.gateway.collab.protocol import AwarenessEntry

# Close codes (docs/api.md, "Collaborative sessions: the socket"). y-websocket's client reconnects
# after any code outside 4400-4499 and stops for good on those.
CLOSE_BAD_MESSAGE = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_ENDED = 4410
CLOSE_TOO_LARGE = 4413
CLOSE_FULL = 4429
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012
CLOSE_SLOW = 1013

# y-protocols' outdatedTimeout: clients renew their state twice within it, and drop states older.
AWARENESS_OUTDATED_S = 30.0
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Closing:
    code: int
    reason: str


class Peer:
    """One socket of a room. Frames for it wait in its own queue, so one slow reader never holds
    up the room; a reader that lets too much pile up is closed (1013) and resyncs when it reconnects."""

    def __init__(self, admission: Admission, max_queued_bytes: int, admitted_at: float) -> None:
        self.id = secrets.token_hex(8)
        self.admission = admission
        #: When its admission began to read PostgreSQL (monotonic): later control events may be news to it.
        self.admitted_at = admitted_at
        self.role: str = admission.role
        #: The awareness clientID this socket speaks for: the first it announced.
        self.client_id: int | None = None
        #: A viewer's non-empty updates so far (dropped; the third closes the socket).
        self.strikes = 0
        self.closing: Closing | None = None
        self.closed = asyncio.Event()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queued_bytes = 0
        self._max_queued_bytes = max_queued_bytes

    @property
    def editor(self) -> bool:
        return self.role == "editor" and self.closing is None

    @property
    def user(self) -> dict[str, str]:
        """What others see of this participant (y-codemirror.next reads name, color, colorLight)."""
        color = self.admission.color
        light = f"{color}33" if _HEX_COLOR.match(color) else color
        # The owner is labelled as such (an editor to the server's checks, `role` below).
        role = "owner" if self.admission.is_owner else self.role
        return {"name": self.admission.display_name, "color": color, "colorLight": light, "role": role}

    def send(self, frame: bytes) -> None:
        if self.closing is not None:
            return
        if self._queued_bytes + len(frame) > self._max_queued_bytes:
            self.close(CLOSE_SLOW, "Too far behind")
            return
        self._queued_bytes += len(frame)
        self._queue.put_nowait(frame)

    def event(self, body: dict[str, Any]) -> None:
        self.send(protocol.event(body))

    def close(self, code: int, reason: str, event: dict[str, Any] | None = None) -> None:
        """Close after ``event`` (a type-100 message), dropping whatever else was queued."""
        if self.closing is not None:
            return
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queued_bytes = 0
        if event is not None:
            self._queue.put_nowait(protocol.event(event))
        self._queue.put_nowait(None)
        self.closing = Closing(code, reason)
        self.closed.set()

    async def next(self) -> bytes | None:
        """The next frame to send, or None: time to send the close frame."""
        frame = await self._queue.get()
        if frame is not None:
            self._queued_bytes -= len(frame)
        return frame


def error_event(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


@dataclass(slots=True)
class _Known:
    entry: AwarenessEntry
    #: The local peer that announced it, or "" for a client of another gateway.
    owner: str
    seen: float


class AwarenessBook:
    """The latest awareness state of every client of the session that this room has heard of, to
    greet a new socket with (and answer query-awareness), as y-websocket's server does."""

    def __init__(self) -> None:
        self._known: dict[int, _Known] = {}

    def may_bind(self, peer: Peer, client_id: int) -> bool:
        """A socket may not claim a clientID another client is using (live cursors are not
        taken over)."""
        known = self._known.get(client_id)
        return known is None or known.owner == peer.id or time.monotonic() - known.seen > AWARENESS_OUTDATED_S

    def record(self, entries: list[AwarenessEntry], owner: str) -> None:
        now = time.monotonic()
        for entry in entries:
            known = self._known.get(entry.client_id)
            if known is not None and entry.clock < known.entry.clock:
                continue
            if entry.removed:
                self._known.pop(entry.client_id, None)
            else:
                self._known[entry.client_id] = _Known(entry, owner, now)

    def leave(self, peer: Peer) -> AwarenessEntry | None:
        """The removal to announce for a socket that closed (what y-websocket's server sends)."""
        if peer.client_id is None:
            return None
        known = self._known.get(peer.client_id)
        if known is None or known.owner != peer.id:
            return None
        del self._known[peer.client_id]
        return AwarenessEntry(peer.client_id, known.entry.clock + 1, "null")

    def snapshot(self) -> bytes | None:
        """Every current state as one awareness message, None when there is none."""
        entries = self._current()
        return protocol.awareness(protocol.encode_awareness(entries)) if entries else None

    def local(self) -> bytes | None:
        """The states of this gateway's own clients, as an awareness update (for other gateways)."""
        entries = self._current(local_only=True)
        return protocol.encode_awareness(entries) if entries else None

    def _current(self, local_only: bool = False) -> list[AwarenessEntry]:
        now = time.monotonic()
        return [
            k.entry
            for k in self._known.values()
            if now - k.seen <= AWARENESS_OUTDATED_S and (k.owner or not local_only)
        ]

    def prune(self) -> None:
        now = time.monotonic()
        for client_id in [c for c, k in self._known.items() if now - k.seen > AWARENESS_OUTDATED_S]:
            del self._known[client_id]
