"""The y-websocket wire protocol, as y-websocket 3.1's WebsocketProvider and y-protocols 1.0 speak it,
plus our server-to-client session events.

Every WebSocket frame is binary and holds one message, ``varUint(type) • payload``:

- ``0`` sync: ``varUint(step) • varUint8Array(data)``; step 0 carries a state vector (SyncStep1),
  1 the update answering one (SyncStep2), 2 a live update.
- ``1`` awareness: ``varUint8Array(n • n × (varUint clientID • varUint clock • varString JSON))``.
- ``2`` auth: ``varUint(0) • varString(reason)``, permission denied (clients only log it).
- ``3`` query-awareness, no payload: the other side answers with every awareness state it knows.
- ``100`` session event (server to client only): ``varString(JSON object)``.

Integers are lib0 varUints (7 bits a byte, little end first) and strings UTF-8 with a varUint byte
length. We write the codec here rather than use pycrdt's Decoder: that one measures strings in
characters, not bytes, and reads past malformed input instead of refusing it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_EVENT = 100

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

#: A Yjs (v1) update with no structs and no deletions: what a peer with nothing new sends as SyncStep2.
EMPTY_UPDATE = b"\x00\x00"
#: y-protocols' permission-denied auth message.
AUTH_PERMISSION_DENIED = 0
# lib0 reads varUints into JavaScript numbers: anything above 2^53 cannot come from a real client.
_MAX_UINT = (1 << 53) - 1


class ProtocolError(ValueError):
    """A frame that is not a well-formed message of the protocol (close 4400)."""


class UnknownMessage(ProtocolError):
    """A well-formed frame of a message type the server does not take (close 4400)."""


class AwarenessTooLarge(ValueError):
    """One client's awareness state is larger than allowed (close 4413)."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def var_uint(self) -> int:
        value = 0
        shift = 0
        while True:
            if self._pos >= len(self._data):
                raise ProtocolError("truncated integer")
            byte = self._data[self._pos]
            self._pos += 1
            value |= (byte & 0x7F) << shift
            if value > _MAX_UINT:
                raise ProtocolError("integer out of range")
            if byte < 0x80:
                return value
            shift += 7

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self._pos + length
        if end > len(self._data):
            raise ProtocolError("truncated byte array")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError("string is not UTF-8") from error

    def end(self) -> None:
        # One message a frame: trailing bytes mean a client we do not understand.
        if self._pos != len(self._data):
            raise ProtocolError("trailing bytes after the message")


def var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


def var_string(text: str) -> bytes:
    return var_bytes(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Message:
    type: int
    #: The sync step (sync messages) or the auth reason's kind (auth messages).
    sub: int = 0
    #: Sync: the state vector or update; awareness: the encoded awareness update; auth: the reason (UTF-8).
    payload: bytes = b""


def decode(frame: bytes) -> Message:
    reader = _Reader(frame)
    kind = reader.var_uint()
    if kind == MESSAGE_SYNC:
        step = reader.var_uint()
        if step not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError(f"unknown sync step {step}")
        message = Message(kind, step, reader.var_bytes())
    elif kind == MESSAGE_AWARENESS:
        message = Message(kind, 0, reader.var_bytes())
    elif kind == MESSAGE_AUTH:
        sub = reader.var_uint()
        message = Message(kind, sub, reader.var_string().encode())
    elif kind == MESSAGE_QUERY_AWARENESS:
        message = Message(kind)
    else:
        raise UnknownMessage(f"unknown message type {kind}")
    reader.end()
    return message


def sync_step1(state_vector: bytes) -> bytes:
    return var_uint(MESSAGE_SYNC) + var_uint(SYNC_STEP1) + var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    return var_uint(MESSAGE_SYNC) + var_uint(SYNC_STEP2) + var_bytes(update)


def sync_update(update: bytes) -> bytes:
    return var_uint(MESSAGE_SYNC) + var_uint(SYNC_UPDATE) + var_bytes(update)


def awareness(update: bytes) -> bytes:
    return var_uint(MESSAGE_AWARENESS) + var_bytes(update)


def query_awareness() -> bytes:
    return var_uint(MESSAGE_QUERY_AWARENESS)


def permission_denied(reason: str) -> bytes:
    return var_uint(MESSAGE_AUTH) + var_uint(AUTH_PERMISSION_DENIED) + var_string(reason)


def event(body: Mapping[str, Any]) -> bytes:
    """A type-100 session event (the web client's handler reads it with lib0's readVarString)."""
    return var_uint(MESSAGE_EVENT) + var_string(json.dumps(body, separators=(",", ":"), ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    #: The state as the JSON text on the wire; ``"null"`` when the client is gone.
    state: str

    @property
    def removed(self) -> bool:
        return self.state == "null"


def decode_awareness(update: bytes) -> list[AwarenessEntry]:
    reader = _Reader(update)
    entries = [
        AwarenessEntry(reader.var_uint(), reader.var_uint(), reader.var_string()) for _ in range(reader.var_uint())
    ]
    reader.end()
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    parts = [var_uint(len(entries))]
    for entry in entries:
        parts += [var_uint(entry.client_id), var_uint(entry.clock), var_string(entry.state)]
    return b"".join(parts)


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity parse in Python but not in JSON.parse: relayed, they would break other clients.
    raise ProtocolError(f"{name} is not JSON")


def _state_object(text: str) -> dict[str, Any]:
    try:
        state = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ProtocolError("awareness state is not JSON") from error
    if not isinstance(state, dict):
        raise ProtocolError("awareness state is not a JSON object")
    return state


def rewrite_awareness(
    update: bytes, *, bound: int | None, user: Mapping[str, Any], max_state_bytes: int
) -> tuple[int | None, list[AwarenessEntry]]:
    """A client's awareness update as the server relays it.

    A socket speaks for one clientID only: the first it announces (``bound``, None until then).
    Entries about other clientIDs are dropped, so nobody moves or removes another's cursor, and
    ``user`` replaces whatever the client said about itself (name, colour, role come from the
    server's record). Returns the socket's clientID and the entries left.
    """
    entries = decode_awareness(update)
    if bound is None and entries:
        bound = entries[0].client_id
    kept: list[AwarenessEntry] = []
    for entry in entries:
        if entry.client_id != bound:
            continue
        if entry.removed:
            kept.append(entry)
            continue
        if len(entry.state.encode()) > max_state_bytes:
            raise AwarenessTooLarge(f"an awareness state may take at most {max_state_bytes} bytes")
        state = _state_object(entry.state)
        state["user"] = dict(user)
        # ASCII-only output: a lone surrogate escape (valid JSON) cannot then break the UTF-8 encoding.
        text = json.dumps(state, separators=(",", ":"), allow_nan=False)
        kept.append(AwarenessEntry(entry.client_id, entry.clock, text))
    return bound, kept
