"""``WS /v1/collab/sessions/{session_id}/socket``: a collaborative session's y-websocket endpoint.

y-websocket's client appends a room name to its server URL, so ``.../socket/{room}`` is the same
socket (the room name is ignored: the session is the room). Once accepted, the socket is admitted
as one of the session's participants (collab/access.py: 4401, 4403, 4410), counted against the
session's participant cap on every gateway (4429), and joined to the session's room on this
gateway. Protocol, events and close codes: docs/api.md, "Collaborative sessions: the socket".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.gateway.auth.access import SnippetsReadOpenSocket
from services.gateway.collab import protocol
from services.gateway.collab.access import CLOSE_UNAVAILABLE, Admission, SocketRefused, admit_socket
from services.gateway.collab.pacing import Pace
from services.gateway.collab.peers import (
    CLOSE_BAD_MESSAGE,
    CLOSE_FULL,
    CLOSE_INTERNAL,
    CLOSE_TOO_LARGE,
    Peer,
    error_event,
)
from services.gateway.collab.presence import ADMITTED, SESSION_FULL
from services.gateway.collab.room import Room
from services.gateway.deps import StateDep
from services.gateway.state import GatewayState
from shared.settings import GatewaySettings

logger = logging.getLogger("coderunhub.gateway.collab")

router = APIRouter(prefix="/v1/collab/sessions", tags=["collab"])

# How long a socket being closed may take to flush its last frames and the close frame.
CLOSE_GRACE_S = 5.0
_FAILURES = (RedisError, OSError, SQLAlchemyError, TimeoutError)


@router.websocket("/{session_id}/socket")
@router.websocket("/{session_id}/socket/{room}")
async def collab_socket(websocket: WebSocket, session_id: str, state: StateDep, access: SnippetsReadOpenSocket) -> None:
    # The policy is declared for the route table; collab/access.py admits (or refuses) the socket.
    del access
    await websocket.accept()
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        await websocket.close(CLOSE_BAD_MESSAGE, "Unknown session")
        return
    admitted_at = time.monotonic()
    try:
        admission = await admit_socket(state, websocket, sid)
    except SocketRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    await serve(state, websocket, admission, admitted_at)


async def _refuse(websocket: WebSocket, code: int, reason: str, event: dict[str, str] | None = None) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        if event is not None:
            await websocket.send_bytes(protocol.event(event))
        await websocket.close(code, reason)


async def serve(state: GatewayState, websocket: WebSocket, admission: Admission, admitted_at: float) -> None:
    rooms, settings = state.collab, state.settings
    assert rooms is not None, "the lifespan creates the rooms"
    sid = admission.session_id
    queue_bytes = max(8 << 20, 2 * settings.collab_max_state_bytes + settings.collab_max_frame_bytes)
    peer = Peer(admission, queue_bytes, admitted_at)
    try:
        verdict = await rooms.presence.admit(
            sid,
            admission.participant_id,
            peer.id,
            admission.max_participants,
            settings.collab_max_sockets_per_participant,
        )
    except _FAILURES:
        await _refuse(websocket, CLOSE_UNAVAILABLE, "Service unavailable")
        return
    if verdict != ADMITTED:
        full = verdict == SESSION_FULL
        message = (
            f"the session has its {admission.max_participants} participants connected"
            if full
            else f"at most {settings.collab_max_sockets_per_participant} sockets per participant"
        )
        await _refuse(
            websocket, CLOSE_FULL, "Session full" if full else "Too many sockets", error_event("session-full", message)
        )
        return
    try:
        async with rooms.enter(sid) as room:
            room.add(peer)
            try:
                await _pump(room, peer, websocket, settings)
            finally:
                await room.remove(peer)
    except _FAILURES as error:
        # The room could not open (PostgreSQL or Redis away): the client retries with backoff.
        logger.warning("collab socket of %s: %r", sid, error)
        await _refuse(websocket, CLOSE_UNAVAILABLE, "Service unavailable")
    finally:
        with contextlib.suppress(*_FAILURES):
            await rooms.presence.leave(sid, admission.participant_id, peer.id)


async def _pump(room: Room, peer: Peer, websocket: WebSocket, settings: GatewaySettings) -> None:
    reader = asyncio.create_task(_read(room, peer, websocket, settings))
    writer = asyncio.create_task(_write(peer, websocket))
    closing = asyncio.create_task(peer.closed.wait())
    try:
        done, _ = await asyncio.wait({reader, writer, closing}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and not reader.cancelled() and (error := reader.exception()) is not None:
            logger.error("collab socket of %s failed", room.session_id, exc_info=error)
            peer.close(CLOSE_INTERNAL, "Internal error")
        if writer not in done and peer.closing is not None:
            await asyncio.wait({writer}, timeout=CLOSE_GRACE_S)
    finally:
        for task in (reader, writer, closing):
            task.cancel()
        await asyncio.gather(reader, writer, closing, return_exceptions=True)


async def _read(room: Room, peer: Peer, websocket: WebSocket, settings: GatewaySettings) -> None:
    pace = Pace(settings.collab_messages_per_s)
    limit = settings.collab_max_frame_bytes
    while peer.closing is None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            peer.close(CLOSE_BAD_MESSAGE, "Binary frames only")
            return
        if len(data) > limit:
            detail = f"a message may take at most {limit} bytes"
            peer.close(CLOSE_TOO_LARGE, "Message too large", error_event("message-too-large", detail))
            return
        await pace.take()
        await room.receive(peer, data)


async def _write(peer: Peer, websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        while (frame := await peer.next()) is not None:
            await websocket.send_bytes(frame)
        closing = peer.closing
        assert closing is not None
        await websocket.close(closing.code, closing.reason)
