"""Input of interactive executions: the gateway appends client frames to a Redis Stream, the
executor turns them into agent frames. A Stream, not pub/sub: input sent before the program
started (or while the executor was busy) waits there instead of being lost."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from services.executor.runner import StdinFeed
from services.executor.sandbox import protocol
from shared.interactive import INPUT_BYTES, INPUT_CANCEL, INPUT_DATA, INPUT_EOF, INPUT_KILL, INPUT_KIND
from shared.redis_keys import execution_input

BLOCK_MS = 1000


def input_feed(redis: Redis, execution_id: uuid.UUID, stop: asyncio.Event) -> StdinFeed:
    """The feed of agent frames; a cancel entry sets ``stop``, which kills the program and records
    the execution as cancelled."""
    key = execution_input(execution_id)

    async def feed() -> AsyncIterator[bytes]:
        last: bytes | str = "0-0"
        while True:
            response = await redis.xread({key: last}, count=100, block=BLOCK_MS)
            for _stream, entries in response or ():
                for entry_id, fields in entries:
                    last = entry_id
                    kind = fields.get(INPUT_KIND)
                    if kind == INPUT_DATA:
                        yield protocol.frame(protocol.STDIN, fields.get(INPUT_BYTES, b""))
                    elif kind == INPUT_EOF:
                        yield protocol.frame(protocol.STDIN_EOF)
                    elif kind == INPUT_KILL:
                        yield protocol.frame(protocol.KILL)
                    elif kind == INPUT_CANCEL:
                        stop.set()

    return feed
