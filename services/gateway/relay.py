"""One Redis pub/sub connection per gateway process, shared by every listener.

Listeners subscribe to an execution's channel and get raw event payloads on a bounded queue.
A listener that falls behind, or a Redis reconnect, marks the subscription as having a gap;
readers then fill it from the execution's replay Stream, so nothing is lost, only delayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from shared.redis_keys import GATEWAY_KEEPALIVE_CHANNEL

logger = logging.getLogger("coderunhub.gateway.relay")

QUEUE_SIZE = 1024
SUBSCRIBE_TIMEOUT_S = 5.0


class Subscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_SIZE)
        # Set when a message may have been missed; the reader must catch up from the Stream.
        self.gap = asyncio.Event()

    def deliver(self, payload: bytes) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.gap.set()

    async def next(self, wait_s: float) -> bytes | None:
        """The next payload, or None on timeout or when a gap was signalled."""
        if self.gap.is_set():
            return None
        getter = asyncio.ensure_future(self.queue.get())
        gap = asyncio.ensure_future(self.gap.wait())
        try:
            done, _ = await asyncio.wait({getter, gap}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gap.cancel()
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        return None

    def take_gap(self) -> bool:
        had = self.gap.is_set()
        self.gap.clear()
        return had


class EventHub:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pubsub: PubSub | None = None
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._confirmations: dict[str, deque[asyncio.Future[None]]] = defaultdict(deque)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Starts the reader; Redis need not be up yet (listeners then wait or fall back)."""
        self._pubsub = self._redis.pubsub()
        self._task = asyncio.create_task(self._read(), name="event-hub")

    async def stop(self) -> None:
        for task in list(self._unsubscribing):
            task.cancel()
        await asyncio.gather(*self._unsubscribing, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str, *, confirmed: bool = True) -> AsyncIterator[Subscription]:
        """Yields once Redis confirmed the subscription: anything published afterwards arrives.
        ``confirmed=False`` yields as soon as the SUBSCRIBE is sent, for a caller whose publisher
        cannot start before Redis has read it (a job queued after it)."""
        assert self._pubsub is not None, "EventHub.start() was not called"
        sub = Subscription()
        confirmation: asyncio.Future[None] | None = None
        async with self._lock:
            first = not self._subs[channel]
            self._subs[channel].add(sub)
            if first:
                confirmation = asyncio.get_running_loop().create_future()
                self._confirmations[channel].append(confirmation)
                await self._pubsub.subscribe(channel)
        try:
            if confirmation is not None and confirmed:
                await asyncio.wait_for(asyncio.shield(confirmation), SUBSCRIBE_TIMEOUT_S)
            yield sub
        finally:
            self._subs[channel].discard(sub)
            if not self._subs[channel]:
                # UNSUBSCRIBE after the caller moved on (a waiting request answers first): a
                # channel subscribed again meanwhile is kept.
                task = asyncio.create_task(self._unsubscribe(channel))
                self._unsubscribing.add(task)
                task.add_done_callback(self._unsubscribing.discard)

    async def _unsubscribe(self, channel: str) -> None:
        assert self._pubsub is not None
        async with self._lock:
            if self._subs.get(channel):
                return
            self._subs.pop(channel, None)
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                if not self._pubsub.subscribed:
                    # Always subscribed to something, so get_message never idles on an empty PubSub.
                    await self._pubsub.subscribe(GATEWAY_KEEPALIVE_CHANNEL)
                message = await self._pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
            except (RedisError, OSError) as exc:
                logger.warning("pub/sub connection lost (%s); subscribers will catch up from streams", exc)
                for subs in self._subs.values():
                    for sub in subs:
                        sub.gap.set()
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            kind = message["type"]
            if kind == "message":
                for sub in list(self._subs.get(channel, ())):
                    sub.deliver(message["data"])
            elif kind == "subscribe":
                pending = self._confirmations.get(channel)
                if pending:
                    future = pending.popleft()
                    if not future.done():
                        future.set_result(None)
                    if not pending:
                        del self._confirmations[channel]
