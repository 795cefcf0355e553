"""Publishing an execution's events: a Redis Stream for replay plus pub/sub for live delivery.

Output chunks are queued without waiting and flushed by one task, so the program's output is
never throttled by Redis round trips; chunks that pile up while a flush is in flight are merged.

What one execution, and one account, can leave in Redis is bounded (docs/security.md, "Output
amplification into Redis"):

- Budget. Every event published costs its encoded size plus ENTRY_OVERHEAD. Output, and the
  finished record riding in the final event, go out only while the execution's budget lasts (all
  phases and judged cases together). When output no longer fits, one ``live_output_limit`` event
  says so and later output is not published; the result in PostgreSQL still has everything the
  limits allowed. Status and test events always go out (a few per phase or case); a final event
  whose record does not fit goes out without it, and readers load the result from the database.
- Caller. An account's executions together hold at most ``caller_budget_bytes`` of live output: a
  ledger in Redis (bytes per execution, and until when each one's Stream can exist) hands out
  blocks of budget; a finished execution gives back what it did not use, and its share stops
  counting once its Stream has expired.
- Lifetime. The Stream expires ``ttl_s`` after its last event while the execution runs, and
  ``finished_ttl_s`` after the final event. A marker keeps the final event's seq for ``ttl_s``,
  so a reader that rebuilds the events from PostgreSQL numbers them after the live ones.
- Memory brake. While Redis holds more than ``memory_ceiling`` of its maxmemory, output is not
  published (the same marker says why), keeping room for the queue and the security keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError, RedisError

from shared.events import Event, EventType, stream_entry_id
from shared.redis_keys import (
    execution_channel,
    execution_stream,
    execution_stream_end,
    live_output_ledger,
    live_output_ledger_until,
)
from shared.settings import ExecutorSettings

logger = logging.getLogger("coderunhub.executor.events")

MERGE_LIMIT = 64 * 1024
# A backstop only: the budget keeps a Stream far below this many entries.
STREAM_MAXLEN = 100_000
# Redis' own bookkeeping per Stream entry (id, field name, lengths), counted with each event.
ENTRY_OVERHEAD = 32
# The caller's ledger hands out budget in blocks this large, so most executions ask once.
RESERVE_BLOCK = 256 * 1024
# How often the memory brake asks Redis how full it is (per executor process).
BRAKE_CHECK_S = 1.0

# Ledger: drop executions whose Stream has expired, then grant what fits under the caller's cap.
# KEYS: ledger hash (execution -> bytes), ledger sorted set (execution -> Stream expiry, ms).
# ARGV: execution, bytes wanted, cap, this execution's Stream expiry (ms), now (ms), key TTL (ms).
_RESERVE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
for _, id in ipairs(expired) do redis.call('HDEL', KEYS[1], id) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5]) end
local held = 0
for _, bytes in ipairs(redis.call('HVALS', KEYS[1])) do held = held + tonumber(bytes) end
local grant = math.max(0, math.min(tonumber(ARGV[2]), tonumber(ARGV[3]) - held))
if grant > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], grant) end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return grant
"""
# Finished: give back what was granted but not used; the share counts until the Stream expires.
# KEYS as above. ARGV: execution, unused bytes, Stream expiry (ms).
_SETTLE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2])) <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return 1
"""


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """How long an execution's Stream lives and how much it may hold (see the module docstring)."""

    ttl_s: int
    finished_ttl_s: int
    budget_bytes: int
    # The account the ledger charges ("user:<id>"); None: no ledger (anonymous: see docs/security.md).
    owner: str | None = None
    caller_budget_bytes: int = 0
    # Fraction of Redis' maxmemory past which output is not published; 0: never checked.
    memory_ceiling: float = 0.0


# Digests of the ledger scripts Redis has loaded. In a pipeline, redis-py's Script objects ask
# SCRIPT EXISTS first, a round trip of its own on every flush: these are loaded once instead.
_LOADED: set[str] = set()


async def _queue_script(redis: Redis, pipe: Pipeline, script: str, keys: list[str], args: list[str | int]) -> Any:
    sha = hashlib.sha1(script.encode()).hexdigest()  # noqa: S324  (Redis names scripts by SHA-1)
    if sha not in _LOADED:
        await redis.script_load(script)
        _LOADED.add(sha)
    return pipe.evalsha(sha, len(keys), *keys, *[str(arg) for arg in args])


def stream_policy(settings: ExecutorSettings, user_id: uuid.UUID | None = None) -> StreamPolicy:
    """An execution's policy: accounts get the larger budget and the ledger."""
    return StreamPolicy(
        ttl_s=settings.stream_ttl_s,
        finished_ttl_s=settings.stream_finished_ttl_s,
        budget_bytes=settings.stream_output_budget_bytes
        if user_id is not None
        else settings.anonymous_stream_output_budget_bytes,
        owner=f"user:{user_id}" if user_id is not None else None,
        caller_budget_bytes=settings.stream_caller_budget_bytes,
        memory_ceiling=settings.stream_redis_memory_ceiling,
    )


class MemoryBrake:
    """Whether Redis holds more than a fraction of its maxmemory, asked at most once per BRAKE_CHECK_S."""

    def __init__(self) -> None:
        self._checked_at = float("-inf")
        self._engaged = False

    async def engaged(self, redis: Redis, ceiling: float) -> bool:
        if ceiling <= 0:
            return False
        now = time.monotonic()
        if now - self._checked_at >= BRAKE_CHECK_S:
            self._checked_at = now
            try:
                info = await redis.info("memory")
                limit = int(info.get("maxmemory", 0))
                self._engaged = limit > 0 and int(info["used_memory"]) > ceiling * limit
            except (RedisError, OSError, KeyError, ValueError):
                # Not knowing is no reason to hold output back; publishing fails on its own if Redis does.
                self._engaged = False
        return self._engaged


# One per executor process: every publisher shares what Redis last said about its memory.
BRAKE = MemoryBrake()


@dataclass(slots=True)
class _Pending:
    type: EventType
    phase: str | None = None
    status: str | None = None
    verdict: str | None = None
    data: bytearray | None = None
    test: int | None = None


def _now_ms() -> int:
    return int(time.time() * 1000)


class EventPublisher:
    def __init__(
        self, redis: Redis, execution_id: uuid.UUID, *, last_seq: int, policy: StreamPolicy, granted: int = 0
    ) -> None:
        self._redis = redis
        self._id = str(execution_id)
        self._channel = execution_channel(execution_id)
        self._stream = execution_stream(execution_id)
        self._end = execution_stream_end(execution_id)
        self._seq = last_seq
        self._policy = policy
        self._ledger = (
            (live_output_ledger(policy.owner), live_output_ledger_until(policy.owner)) if policy.owner else None
        )
        # Bytes this execution published (every event), and what the caller's ledger granted it.
        self._spent = 0
        self._granted = granted
        # Output merged or waiting for the flush task, not yet charged.
        self._queued = 0
        # Output was cut (budget, caller cap or memory brake): later output is dropped at once.
        self._cut = False
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, redis: Redis, execution_id: uuid.UUID, policy: StreamPolicy, *, fresh: bool = False
    ) -> EventPublisher:
        """Continue the sequence of an earlier attempt, if any, so replay stays ordered (a first try,
        ``fresh``, has none). An account's first block of budget is taken in the same round trip."""
        stream = execution_stream(execution_id)
        last_seq = granted = 0
        if not fresh or policy.owner:
            for attempt in range(2):
                try:
                    async with redis.pipeline(transaction=False) as pipe:
                        pipe.xrevrange(stream, count=1)
                        if policy.owner:
                            block = min(RESERVE_BLOCK, policy.budget_bytes)
                            await cls._reserve_call(redis, pipe, policy, str(execution_id), block)
                        replies = await pipe.execute()
                    break
                except NoScriptError:
                    # Redis lost its scripts (a restart): load them again, once.
                    _LOADED.clear()
                    if attempt:
                        raise
            last = replies[0]
            last_seq = int(last[0][0].split(b"-")[0]) if last and not fresh else 0
            granted = int(replies[1]) if policy.owner else 0
        publisher = cls(redis, execution_id, last_seq=last_seq, policy=policy, granted=granted)
        publisher._task = asyncio.create_task(publisher._run(), name=f"events-{execution_id}")
        return publisher

    def status(self, status: str, phase: str | None = None, test: int | None = None) -> None:
        self._push(_Pending(EventType.status, phase=phase, status=status, test=test))

    def output(self, phase: str, stream: str, data: bytes, test: int | None = None) -> None:
        # Past the budget the flush would drop it anyway: do not hold it in memory meanwhile.
        if self._cut or self._spent + self._queued > self._policy.budget_bytes + MERGE_LIMIT:
            return
        self._queued += len(data)
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
        """Publish the final event (with the finished record as JSON, when given and within the
        budget) and stop."""
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

    def _available(self) -> int:
        """Bytes this execution may still publish: its own budget, and its grant when on a ledger."""
        allowed = min(self._policy.budget_bytes, self._granted) if self._ledger else self._policy.budget_bytes
        return allowed - self._spent

    @staticmethod
    async def _reserve_call(redis: Redis, client: Redis | Pipeline, policy: StreamPolicy, eid: str, want: int) -> Any:
        """Run (or, on a pipeline, queue) the ledger's reservation."""
        assert policy.owner is not None
        now = _now_ms()
        keys = [live_output_ledger(policy.owner), live_output_ledger_until(policy.owner)]
        # Running: the Stream lives at most ttl_s past its last event (executions end well before that).
        args: list[str | int] = [
            eid,
            want,
            policy.caller_budget_bytes,
            now + policy.ttl_s * 1000,
            now,
            policy.ttl_s * 1000,
        ]
        if isinstance(client, Pipeline):
            return await _queue_script(redis, client, _RESERVE, keys, args)
        return await redis.register_script(_RESERVE)(keys=keys, args=args)

    async def _reserve(self, want: int) -> None:
        """Ask the caller's ledger for more budget (a block at least), never past the execution's own."""
        ask = min(max(want, RESERVE_BLOCK), self._policy.budget_bytes - self._granted)
        if ask <= 0:
            return
        try:
            granted = await self._reserve_call(self._redis, self._redis, self._policy, self._id, ask)
        except (RedisError, OSError):
            logger.warning("live output ledger of %s unavailable", self._policy.owner, exc_info=True)
            return
        self._granted += int(granted)

    async def _flush(self, batch: list[_Pending]) -> None:
        gated = sum(len(item.data or b"") + 128 for item in batch if item.type is not EventType.status)
        brake = await BRAKE.engaged(self._redis, self._policy.memory_ceiling)
        if self._ledger and not self._cut and gated > self._available():
            await self._reserve(gated - self._available())
        events = self._admit(batch, brake)
        final = any(event.is_final for event in events)
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
                if final:
                    # Finished: late readers have a minute to replay; after that the result is in
                    # PostgreSQL, and the end marker tells a rebuild where the live seqs ended.
                    pipe.expire(self._stream, self._policy.finished_ttl_s)
                    pipe.set(self._end, self._seq, ex=self._policy.ttl_s)
                    if self._ledger:
                        unused = max(0, self._granted - self._spent)
                        until = _now_ms() + self._policy.finished_ttl_s * 1000
                        args: list[str | int] = [self._id, unused, until]
                        await _queue_script(self._redis, pipe, _SETTLE, list(self._ledger), args)
                else:
                    pipe.expire(self._stream, self._policy.ttl_s)
                await pipe.execute()
        except Exception as exc:
            if isinstance(exc, NoScriptError):
                _LOADED.clear()
            # Live delivery is best effort: results are in PostgreSQL, and readers fall back to it.
            logger.warning("publishing %d events to %s failed", len(events), self._channel, exc_info=True)

    def _admit(self, batch: list[_Pending], brake: bool) -> list[Event]:
        """Number the events that go out and charge them; output that does not fit is cut here."""
        events: list[Event] = []
        for item in batch:
            data = bytes(item.data or b"")
            if item.type in (EventType.stdout, EventType.stderr):
                self._queued -= len(data)
                if self._cut:
                    continue
                event = self._event(item, data)
                cost = len(event.encode()) + ENTRY_OVERHEAD
                if not brake and cost <= self._available():
                    self._charge(events, event, cost)
                    continue
                # The part that fits, then the marker; nothing of this execution's output after it.
                room = self._available() - (cost - len(data))
                if room > 0 and not brake:
                    part = self._event(item, data[:room])
                    self._charge(events, part, len(part.encode()) + ENTRY_OVERHEAD)
                self._cut = True
                self._charge_always(events, self._marker(item, brake))
            elif item.type is EventType.result:
                event = self._event(item, data)
                cost = len(event.encode()) + ENTRY_OVERHEAD
                if data and cost > self._available():
                    # The record stays in PostgreSQL, where readers of a record-less final event look.
                    event = self._event(item, b"")
                self._charge_always(events, event)
            else:
                self._charge_always(events, self._event(item, data))
        return events

    def _event(self, item: _Pending, data: bytes, kind: EventType | None = None) -> Event:
        return Event(
            seq=self._seq + 1,
            type=kind or item.type,
            phase=item.phase,
            status=item.status,
            verdict=item.verdict,
            data=data,
            test=item.test,
        )

    def _marker(self, item: _Pending, brake: bool) -> Event:
        if brake:
            why = "the platform is short of memory for live output"
        else:
            why = f"this execution's live output reached its budget of {self._policy.budget_bytes} bytes"
        message = f"Live output stopped here: {why}. The result has all the output the limits allow."
        return self._event(item, message.encode(), EventType.live_output_limit)

    def _charge(self, events: list[Event], event: Event, cost: int) -> None:
        self._seq = event.seq
        self._spent += cost
        events.append(event)

    def _charge_always(self, events: list[Event], event: Event) -> None:
        self._charge(events, event, len(event.encode()) + ENTRY_OVERHEAD)
