"""Cancellations reaching the executions this executor runs (the gateway's side: its
executions/cancel.py).

A gateway sets the execution's cancel marker, then publishes its id on the cancel channel. Each
execution here registers a stop event before it starts and then checks the marker; the listener
sets the events of those named on the channel. Whichever comes first, the program is killed or,
when not started yet, never starts (runner.py, sandbox/box.py). After a reconnection the listener
checks every running execution's marker again, for messages published while it was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.redis_keys import EXECUTION_CANCEL_CHANNEL, execution_cancel

logger = logging.getLogger("coderunhub.executor.cancels")

RECONNECT_S = 1.0


class Cancellations:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._stops: dict[uuid.UUID, asyncio.Event] = {}
        self._checks: set[asyncio.Task[None]] = set()

    @contextlib.contextmanager
    def watch(self, execution_id: uuid.UUID) -> Iterator[asyncio.Event]:
        """The execution's stop event while it runs here."""
        stop = asyncio.Event()
        self._stops[execution_id] = stop
        # Off the critical path: a run does not wait for this round trip.
        self._spawn(self._check([execution_id]))
        try:
            yield stop
        finally:
            if self._stops.get(execution_id) is stop:
                del self._stops[execution_id]

    def cancel(self, execution_id: uuid.UUID) -> None:
        stop = self._stops.get(execution_id)
        if stop is not None:
            stop.set()

    def _spawn(self, check: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(check)
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check(self, ids: list[uuid.UUID]) -> None:
        if not ids:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for execution_id in ids:
                    pipe.exists(execution_cancel(execution_id))
                marked = await pipe.execute()
        except (RedisError, OSError):
            logger.warning("could not read cancel markers", exc_info=True)
            return
        for execution_id, exists in zip(ids, marked, strict=True):
            if exists:
                self.cancel(execution_id)

    async def listen(self) -> None:
        """Runs for the executor's lifetime."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(EXECUTION_CANCEL_CHANNEL)
                # Subscribed: what was published while unsubscribed is in the markers.
                await self._check(list(self._stops))
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    with contextlib.suppress(ValueError, AttributeError):
                        self.cancel(uuid.UUID(message["data"].decode()))
            except (RedisError, OSError):
                logger.warning("cancel channel unavailable; resubscribing", exc_info=True)
                await asyncio.sleep(RECONNECT_S)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
