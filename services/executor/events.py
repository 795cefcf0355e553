"""Publishing an execution's events: a capped Redis Stream for replay plus pub/sub for live delivery.

Output chunks are queued without waiting and flushed by one task, so the program's output is
never throttled by Redis round trips; chunks that pile up while a flush is in flight are merged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.events import Event, EventType, stream_entry_id
from shared.redis_keys import execution_channel, execution_stream

logger = logging.getLogger("coderunhub.executor.events")

MERGE_LIMIT = 64 * 1024
STREAM_MAXLEN = 100_000


@dataclass(slots=True)
class _Pending:
    type: EventType
    phase: str | None = None
    status: str | None = None
    verdict: str | None = None
    data: bytearray | None = None
    test: int | None = None


class EventPublisher:
    def __init__(self, redis: Redis, execution_id: uuid.UUID, *, last_seq: int, ttl_s: int) -> None:
        self._redis = redis
        self._channel = execution_channel(execution_id)
        self._stream = execution_stream(execution_id)
        self._seq = last_seq
        self._ttl_s = ttl_s
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, redis: Redis, execution_id: uuid.UUID, *, ttl_s: int) -> EventPublisher:
        """Continue the sequence of an earlier attempt, if any, so replay stays ordered."""
        last = await redis.xrevrange(execution_stream(execution_id), count=1)
        last_seq = int(last[0][0].split(b"-")[0]) if last else 0
        publisher = cls(redis, execution_id, last_seq=last_seq, ttl_s=ttl_s)
        publisher._task = asyncio.create_task(publisher._run(), name=f"events-{execution_id}")
        return publisher

    def status(self, status: str, phase: str | None = None, test: int | None = None) -> None:
        self._push(_Pending(EventType.status, phase=phase, status=status, test=test))

    def output(self, phase: str, stream: str, data: bytes, test: int | None = None) -> None:
        kind = EventType.stdout if stream == "stdout" else EventType.stderr
        last = self._pending[-1] if self._pending else None
        if (
            last
            and last.type is kind
            and last.phase == phase
            and last.test == test
            and last.data is not None
            and len(last.data) < MERGE_LIMIT
        ):
            last.data.extend(data)
            return
        self._push(_Pending(kind, phase=phase, data=bytearray(data), test=test))

    def test_result(self, test: int, verdict: str) -> None:
        """Judging: one test case finished with this verdict."""
        self._push(_Pending(EventType.test, phase="run", verdict=verdict, test=test))

    async def finish(self, verdict: str, record: bytes = b"") -> None:
        """Publish the final event (with the finished record as JSON, when given) and stop."""
        self._push(_Pending(EventType.result, status="finished", verdict=verdict, data=bytearray(record)))
        await self.close()

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    def _push(self, item: _Pending) -> None:
        self._pending.append(item)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch:
                await self._flush(batch)
            if self._closing and not self._pending:
                return

    async def _flush(self, batch: list[_Pending]) -> None:
        events = []
        for item in batch:
            self._seq += 1
            events.append(
                Event(
                    seq=self._seq,
                    type=item.type,
                    phase=item.phase,
                    status=item.status,
                    verdict=item.verdict,
                    data=bytes(item.data or b""),
                    test=item.test,
                )
            )
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    encoded = event.encode()
                    pipe.xadd(
                        self._stream,
                        {b"e": encoded},
                        id=stream_entry_id(event.seq),
                        maxlen=STREAM_MAXLEN,
                        approximate=True,
                    )
                    pipe.publish(self._channel, encoded)
                pipe.expire(self._stream, self._ttl_s)
                await pipe.execute()
        except Exception:
            # Live delivery is best effort: results are in PostgreSQL, and readers fall back to it.
            logger.warning("publishing %d events to %s failed", len(events), self._channel, exc_info=True)
