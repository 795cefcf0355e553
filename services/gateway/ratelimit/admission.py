"""Admitting new executions: the caller's executions budget, the queue bound and the caller's
in-flight cap, checked and taken by one Redis script in one round trip.

Either all three accept and the request takes its budget and its in-flight slots together, or
one refuses and nothing is taken. (The limits library keeps the reads and writes budgets; its
moving window takes a budget in a script of its own and reports the window in another, which for
an execution would be two more round trips before the queue and the cap could be asked.) The
executions budget is the same moving window, kept as a sorted set of charges.

A request creating one execution reserves its in-flight slot under a pending token; the token
becomes the execution's id in the same round trip that queues it (``Reservation.settle_in``),
or goes when the request made nothing (``Reservation.release``).
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from services.gateway.ratelimit.service import (
    IN_FLIGHT_MAX_AGE_S,
    IN_FLIGHT_RETRY_AFTER_S,
    PENDING_PREFIX,
    Budget,
    Caller,
    InFlight,
    Usage,
    rate_of,
    too_many,
)
from services.gateway.state import GatewayState
from shared.problems import ProblemError
from shared.redis_keys import EXECUTION_QUEUE, execution_budget, in_flight

logger = logging.getLogger("coderunhub.gateway.ratelimit")

# The budget's window: charges older than the window leave; the oldest left says when the next does.
_WINDOW = """
local function oldest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then return first[2] end
  return ''
end
"""

# KEYS: budget window, execution queue, in-flight set.
# ARGV: now (s), window (s), budget limit (-1: no budget), charge id, queue due (ms), queue bound,
#       in-flight max age (s), cap (-1: no cap), count of members to forget, those, members to add.
# Returns {outcome, count, oldest charge}: outcome 'ok', or what refused ('budget', 'queue', 'in_flight').
_ADMIT = (
    _WINDOW
    + """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local forget = tonumber(ARGV[9])
local cost = #ARGV - 9 - forget
local used = 0
if limit >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  used = redis.call('ZCARD', KEYS[1])
  if used + cost > limit then return {'budget', used, oldest(KEYS[1])} end
end
local depth = redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[5])
if depth + cost > tonumber(ARGV[6]) then return {'queue', depth, ''} end
local cap = tonumber(ARGV[8])
if cap >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[7]))
  for i = 10, 9 + forget do redis.call('ZREM', KEYS[3], ARGV[i]) end
  local current = redis.call('ZCARD', KEYS[3])
  if current + cost > cap then return {'in_flight', current, ''} end
  for i = 10 + forget, #ARGV do redis.call('ZADD', KEYS[3], now, ARGV[i]) end
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
if limit >= 0 then
  for i = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
  redis.call('EXPIRE', KEYS[1], math.ceil(window))
end
return {'ok', used + cost, oldest(KEYS[1])}
"""
)

# KEYS: budget window. ARGV: now, window. Returns {charges in the window, oldest charge}.
_PEEK = (
    _WINDOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
return {redis.call('ZCARD', KEYS[1]), oldest(KEYS[1])}
"""
)

# Replace a reservation (ARGV[1]) with the execution it became (ARGV[2], or nothing if empty).
_SETTLE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if score and ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], score, ARGV[2]) end
return 1
"""


@dataclass(slots=True)
class Reservation:
    """An in-flight slot held for an execution a request is about to create."""

    state: GatewayState
    key: str
    token: str
    settled: bool = field(default=False)

    def settle_in(self, pipe: Pipeline, execution_id: str) -> None:
        """Queue, on ``pipe``, the swap of this reservation for the execution it became."""
        pipe.eval(_SETTLE, 1, self.key, self.token, execution_id)
        self.settled = True

    async def release(self) -> None:
        """The request created nothing: the slot is free again (no-op once settled)."""
        if self.settled:
            return
        self.settled = True
        try:
            await cast(Awaitable[Any], self.state.redis.eval(_SETTLE, 1, self.key, self.token, ""))
        except (RedisError, OSError):
            logger.warning("could not release an in-flight reservation; it expires on its own", exc_info=True)


def _usage(caller: Caller, used: int, oldest: bytes | str, now: float) -> Usage:
    rate = rate_of(caller.policy, Budget.executions)
    window = int(rate.get_expiry())
    # (Bounded by the window: the charge's time was rounded to microseconds.)
    reset = window if oldest in (b"", "") else min(window, max(0, math.ceil(float(oldest) + window - now)))
    return Usage(Budget.executions, rate, int(rate.amount) - used, reset)


async def _run(
    state: GatewayState, caller: Caller | None, members: Sequence[str], forget: Sequence[str], now: float
) -> list[Any]:
    rate = rate_of(caller.policy, Budget.executions) if caller is not None else None
    keys = [
        execution_budget(caller.bucket) if caller is not None else execution_budget("-"),
        EXECUTION_QUEUE,
        in_flight(caller.owner) if caller is not None else in_flight("-"),
    ]
    args: list[Any] = [
        f"{now:.6f}",
        int(rate.get_expiry()) if rate is not None else 0,
        int(rate.amount) if rate is not None else -1,
        secrets.token_hex(8),
        int(now * 1000),
        state.settings.max_queued,
        IN_FLIGHT_MAX_AGE_S,
        caller.policy.max_in_flight if caller is not None else -1,
        len(forget),
        *forget,
        *members,
    ]
    return cast(list[Any], await cast(Awaitable[Any], state.redis.eval(_ADMIT, 3, *keys, *args)))


async def admit(state: GatewayState, caller: Caller | None, members: Sequence[str]) -> Usage | None:
    """Take one execution of budget and one in-flight slot per member (execution ids, or a pending
    token), if the queue has room for them too: the caller's budget usage (None without limits,
    or when Redis cannot be asked: limits fail open, the queue and the database still protect
    the service). 429 over the budget or the cap, 503 when the queue is full."""
    now = time.time()
    try:
        outcome, count, oldest = await _run(state, caller, members, (), now)
        if outcome == b"in_flight" and caller is not None:
            # Looks full: forget executions that finished meanwhile, then ask once more.
            settled = await InFlight(state, caller).settled()
            outcome, count, oldest = await _run(state, caller, members, settled, now)
    except (RedisError, OSError):
        logger.warning("admission limits unavailable (Redis); letting the request through", exc_info=True)
        return None
    if outcome == b"queue":
        limit = state.settings.max_queued
        raise ProblemError(
            503,
            "queue-full",
            "Queue full",
            f"The execution queue is full ({count} of {limit} jobs); retry later.",
            headers={"Retry-After": str(state.settings.queue_full_retry_after_s)},
        )
    if caller is None:
        return None
    if outcome == b"budget":
        raise too_many(_usage(caller, int(count), oldest, now), len(members))
    if outcome == b"in_flight":
        who = "your account" if caller.owner.startswith("user:") else "your address"
        raise ProblemError(
            429,
            "too-many-in-flight",
            "Too many executions in flight",
            f"{count} executions of {who} are queued or running (at most {caller.policy.max_in_flight}, "
            f"{len(members)} more requested); retry when some have finished.",
            headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER_S)},
        )
    return _usage(caller, int(count), oldest, now)


async def reserve(state: GatewayState, caller: Caller | None) -> tuple[Usage | None, Reservation | None]:
    """Admission of a request creating one execution: its usage, and its reservation (None
    without limits)."""
    if caller is None:
        await admit(state, None, [PENDING_PREFIX + "unlimited"])
        return None, None
    token = PENDING_PREFIX + secrets.token_hex(8)
    usage = await admit(state, caller, [token])
    return usage, Reservation(state, in_flight(caller.owner), token)


async def peek(state: GatewayState, caller: Caller) -> Usage:
    """The caller's executions budget, without taking any."""
    now = time.time()
    rate = rate_of(caller.policy, Budget.executions)
    args: list[Any] = [f"{now:.6f}", int(rate.get_expiry())]
    used, oldest = await cast(Awaitable[Any], state.redis.eval(_PEEK, 1, execution_budget(caller.bucket), *args))
    return _usage(caller, int(used), oldest, now)
