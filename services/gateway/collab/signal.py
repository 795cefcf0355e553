"""``WS /v1/collab/sessions/{session_id}/signal``: the session's WebRTC signaling server.

It speaks y-webrtc's signaling protocol (JSON text frames: subscribe, unsubscribe, publish, ping),
so y-webrtc's ``signaling`` option can point at it as it is, with the rules a public signaling
server lacks: only the session's participants get in (admitted as its y-websocket socket is), a
socket may only subscribe to its own rooms (rtc.py: the voice room, and the document's for
editors), a peer id belongs to the socket that used it first, and offers, answers and ICE
candidates go only to the peer they are addressed to. Delivery: signaling.py. Protocol, messages
and close codes: docs/api.md, "Collaborative sessions: WebRTC signaling".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.gateway.auth.access import SnippetsReadOpenSocket
from services.gateway.collab.access import CLOSE_UNAVAILABLE, Admission, SocketRefused, admit_socket
from services.gateway.collab.pacing import Pace
from services.gateway.collab.peers import CLOSE_BAD_MESSAGE, CLOSE_FULL, CLOSE_INTERNAL, CLOSE_TOO_LARGE
from services.gateway.collab.presence import ADMITTED, SESSION_FULL
from services.gateway.collab.rtc import room_names
from services.gateway.collab.signaling import SignalRoom, SignalSocket, error_message
from services.gateway.deps import StateDep
from services.gateway.state import GatewayState
from shared.settings import GatewaySettings

logger = logging.getLogger("coderunhub.gateway.collab")

router = APIRouter(prefix="/v1/collab/sessions", tags=["collab"])

# The signal socket's own close code: this deployment has WebRTC turned off (collab_webrtc).
CLOSE_DISABLED = 4404
# How long a socket being closed may take to flush its last messages and the close frame.
CLOSE_GRACE_S = 5.0
# Messages a slow reader may leave queued (each at most collab_signal_max_message_bytes, and more).
QUEUED_MESSAGES = 32
# y-webrtc's peer ids are uuid4 strings; anything this shape is accepted.
PEER_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_FAILURES = (RedisError, OSError, SQLAlchemyError, TimeoutError)


@router.websocket("/{session_id}/signal")
async def collab_signal(websocket: WebSocket, session_id: str, state: StateDep, access: SnippetsReadOpenSocket) -> None:
    # The policy is declared for the route table; collab/access.py admits (or refuses) the socket.
    del access
    await websocket.accept()
    if not state.settings.collab_webrtc:
        await websocket.close(CLOSE_DISABLED, "WebRTC is disabled")
        return
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        await websocket.close(CLOSE_BAD_MESSAGE, "Unknown session")
        return
    try:
        admission = await admit_socket(state, websocket, sid)
    except SocketRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    await serve(state, websocket, admission)


async def _refuse(websocket: WebSocket, code: int, reason: str, message: dict[str, Any] | None = None) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        if message is not None:
            await websocket.send_text(json.dumps(message))
        await websocket.close(code, reason)


async def serve(state: GatewayState, websocket: WebSocket, admission: Admission) -> None:
    rooms, settings = state.signal, state.settings
    assert rooms is not None, "the lifespan creates the signal rooms"
    sid = admission.session_id
    try:
        names = await room_names(state.redis, sid)
        socket = SignalSocket(admission, names, QUEUED_MESSAGES * settings.collab_signal_max_message_bytes)
        verdict = await rooms.presence.admit(
            sid,
            admission.participant_id,
            socket.id,
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
            else f"at most {settings.collab_max_sockets_per_participant} signal sockets per participant"
        )
        await _refuse(
            websocket,
            CLOSE_FULL,
            "Session full" if full else "Too many sockets",
            error_message("session-full", message),
        )
        return
    try:
        async with rooms.enter(sid) as room:
            room.add(socket)
            try:
                # Whatever changed between the admission's read and the room hearing of it.
                await room.recheck([socket])
                await _pump(room, socket, websocket, settings)
            finally:
                await room.remove(socket)
    except _FAILURES as error:
        logger.warning("signal socket of %s: %r", sid, error)
        await _refuse(websocket, CLOSE_UNAVAILABLE, "Service unavailable")
    finally:
        with contextlib.suppress(*_FAILURES):
            await rooms.presence.leave(sid, admission.participant_id, socket.id)


async def _pump(room: SignalRoom, socket: SignalSocket, websocket: WebSocket, settings: GatewaySettings) -> None:
    reader = asyncio.create_task(_read(room, socket, websocket, settings))
    writer = asyncio.create_task(_write(socket, websocket))
    closing = asyncio.create_task(socket.closed.wait())
    try:
        done, _ = await asyncio.wait({reader, writer, closing}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and not reader.cancelled() and (error := reader.exception()) is not None:
            if isinstance(error, _FAILURES):
                logger.warning("signal socket of %s: %r", room.session_id, error)
                socket.close(CLOSE_INTERNAL, "Try again")
            else:
                logger.error("signal socket of %s failed", room.session_id, exc_info=error)
                socket.close(CLOSE_INTERNAL, "Internal error")
        if writer not in done and socket.closing is not None:
            await asyncio.wait({writer}, timeout=CLOSE_GRACE_S)
    finally:
        for task in (reader, writer, closing):
            task.cancel()
        await asyncio.gather(reader, writer, closing, return_exceptions=True)


async def _read(room: SignalRoom, socket: SignalSocket, websocket: WebSocket, settings: GatewaySettings) -> None:
    pace = Pace(settings.collab_signal_messages_per_s)
    limit = settings.collab_signal_max_message_bytes
    while socket.closing is None:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            return
        text = received.get("text")
        if text is None:
            socket.close(CLOSE_BAD_MESSAGE, "Text frames only")
            return
        if len(text) > limit or len(text.encode()) > limit:
            detail = f"a message may take at most {limit} bytes"
            socket.close(CLOSE_TOO_LARGE, "Message too large", error_message("message-too-large", detail))
            return
        await pace.take()
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict) or _too_deep(message, settings.max_json_depth):
            socket.close(CLOSE_BAD_MESSAGE, "Not a JSON object")
            return
        await _handle(room, socket, message)


async def _handle(room: SignalRoom, socket: SignalSocket, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "ping":
        socket.message({"type": "pong"})
    elif kind in ("subscribe", "unsubscribe"):
        topics = message.get("topics")
        if not isinstance(topics, list) or not all(isinstance(topic, str) for topic in topics):
            socket.message(error_message("bad-message", "topics must be a list of strings"))
        elif kind == "unsubscribe":
            await room.unsubscribe(socket, topics)
        else:
            for topic in topics:
                # y-webrtc subscribes to every room of the page: another's is refused, not fatal.
                if socket.allowed(topic):
                    socket.subscribed.add(topic)
                else:
                    socket.message(_refused(topic))
    elif kind == "publish":
        await _publish(room, socket, message)
    # Anything else is ignored, as y-webrtc's own server does.


async def _publish(room: SignalRoom, socket: SignalSocket, message: dict[str, Any]) -> None:
    topic, data = message.get("topic"), message.get("data")
    if not isinstance(topic, str):
        socket.message(error_message("bad-message", "topic must be a string"))
        return
    if topic not in socket.subscribed or not socket.allowed(topic):
        socket.message(_refused(topic))
        return
    problem = _bad_data(data)
    if problem is not None:
        socket.message(error_message("bad-message", problem))
        return
    assert isinstance(data, dict)
    peer = data["from"]
    refusal = await room.bind(socket, peer, topic)
    if refusal is not None:
        socket.message(error_message(refusal, _REFUSALS[refusal], peer=peer))
        return
    await room.publish(socket, topic, data)


_REFUSALS = {
    "peer-id-taken": "another socket speaks for this peer id",
    "too-many-peer-ids": "this socket speaks for as many peer ids as it may",
}


def _refused(topic: str) -> dict[str, Any]:
    return error_message("topic-refused", "not a room of yours in this session", topic=topic)


def _bad_data(data: object) -> str | None:
    """Why ``data`` is not a y-webrtc signaling message we relay (None: it is)."""
    if not isinstance(data, dict):
        # y-webrtc with a password encrypts it into a string: nobody could check what it carries.
        return "data must be a JSON object"
    if not isinstance(data.get("from"), str) or not PEER_ID.match(data["from"]):
        return "data.from must be a peer id"
    if "to" in data and (not isinstance(data["to"], str) or not PEER_ID.match(data["to"])):
        return "data.to must be a peer id"
    if data.get("type") == "signal" and "to" not in data:
        # An offer, answer or candidate reveals addresses: it is always for one peer.
        return "a signal must name its peer (data.to)"
    return None


def _too_deep(value: object, limit: int) -> bool:
    """Nested deeper than ``limit`` (no signaling message is; relaying one costs every gateway)."""
    level: list[object] = [value]
    for _ in range(limit):
        nested: list[object] = []
        for item in level:
            if isinstance(item, dict):
                nested.extend(item.values())
            elif isinstance(item, list):
                nested.extend(item)
        if not nested:
            return False
        level = nested
    return True


async def _write(socket: SignalSocket, websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        while (text := await socket.next()) is not None:
            await websocket.send_text(text)
        closing = socket.closing
        assert closing is not None
        await websocket.close(closing.code, closing.reason)
