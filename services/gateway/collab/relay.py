"""A session's update log and its relay between gateways (Redis).

Every update a gateway accepts is appended to the session's Stream and published on the session's
channel in one script, so the channel carries updates in log order, each with the id of the entry
before it: ``U<id> <prev> <update>``. A room that applied everything up to ``prev`` applies the
update and moves on; any other ``prev`` means it missed something (a lost pub/sub message, a slow
subscriber, its own append racing another gateway's) and it reads the log from its last id.
Awareness is pub/sub only, ``A<origin> <awareness update>``: clients renew it every 15 s anyway.
A room that opens asks the others for the states of their clients with ``Q<origin>``, so that its
first socket sees the others' cursors at once, as it would on their gateway.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from shared.redis_keys import collab_channel, collab_updates

UPDATE_FIELD = b"u"
#: The id before any entry (Redis Streams start after it).
START_ID = "0-0"
# Entries read per XRANGE call while catching up.
_PAGE = 512

# KEYS: the log, the channel. ARGV: the update, the log's TTL in ms. Returns {id, prev}.
_APPEND = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '0-0'
if #last > 0 then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], '*', 'u', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], 'U' .. id .. ' ' .. prev .. ' ' .. ARGV[1])
return {id, prev}
"""


def id_order(stream_id: str) -> tuple[int, int]:
    """A Stream id as something that sorts like one ("9-0" comes before "10-0")."""
    millis, _, seq = stream_id.partition("-")
    return int(millis), int(seq or 0)


@dataclass(frozen=True, slots=True)
class UpdateFrame:
    id: str
    prev: str
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessFrame:
    origin: str
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessQuery:
    origin: str


def decode_frame(payload: bytes) -> UpdateFrame | AwarenessFrame | AwarenessQuery | None:
    """A channel frame, or None for one this gateway does not know (a newer gateway's)."""
    kind, body = payload[:1], payload[1:]
    if kind == b"U":
        parts = body.split(b" ", 2)
        if len(parts) == 3:
            return UpdateFrame(parts[0].decode(), parts[1].decode(), parts[2])
    elif kind == b"A":
        origin, sep, update = body.partition(b" ")
        if sep:
            return AwarenessFrame(origin.decode(), update)
    elif kind == b"Q":
        return AwarenessQuery(body.decode())
    return None


class UpdateLog:
    """One session's Stream of updates (not yet folded into the PostgreSQL snapshot)."""

    def __init__(self, redis: Redis, session_id: uuid.UUID, ttl_s: int) -> None:
        self._redis = redis
        self._key = collab_updates(session_id)
        self._channel = collab_channel(session_id)
        self._ttl_ms = ttl_s * 1000
        self._append = redis.register_script(_APPEND)

    @property
    def channel(self) -> str:
        return self._channel

    async def append(self, update: bytes) -> tuple[str, str]:
        """Log and publish ``update``; its entry id and the id of the entry before it."""
        new, prev = await self._append(keys=[self._key, self._channel], args=[update, self._ttl_ms])
        return _text(new), _text(prev)

    async def after(self, last_id: str) -> tuple[list[tuple[str, bytes]], str | None]:
        """Entries after ``last_id``, and the id of the log's first entry (None: no log).

        A first entry after ``last_id`` means entries may have been trimmed before the caller read
        them (compaction trims up to its snapshot): the caller must load the snapshot first."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xrange(self._key, min=f"({last_id}", count=_PAGE)
            pipe.xrange(self._key, count=1)
            page, first = await pipe.execute()
        entries = [(_text(entry_id), fields[UPDATE_FIELD]) for entry_id, fields in page]
        while len(page) == _PAGE:
            page = await self._redis.xrange(self._key, min=f"({entries[-1][0]}", count=_PAGE)
            entries += [(_text(entry_id), fields[UPDATE_FIELD]) for entry_id, fields in page]
        return entries, (_text(first[0][0]) if first else None)

    async def last(self) -> str | None:
        tail = await self._redis.xrevrange(self._key, count=1)
        return _text(tail[0][0]) if tail else None

    async def trim(self, min_id: str) -> None:
        """Drop entries before ``min_id`` (kept: a later ``prev`` still names an entry that exists)."""
        await self._redis.xtrim(self._key, minid=min_id, approximate=False)

    async def publish_awareness(self, origin: str, update: bytes) -> None:
        await self._redis.publish(self._channel, b"A" + origin.encode() + b" " + update)

    async def query_awareness(self, origin: str) -> None:
        await self._redis.publish(self._channel, b"Q" + origin.encode())


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode_control(payload: bytes) -> dict[str, Any] | None:
    """A control event (services/gateway/collab/control.py), or None when it is not one."""
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return None
    return event
