"""Rate limits, quotas and the bounded queue.

Budgets are moving windows (the limits library, in Redis) per caller: an API key, a user (access
token or session) or a client address (anonymous). Fairness is a cap on each user's (or address's)
executions in flight, kept in a Redis sorted set of execution ids that is checked against the
database when it looks full, so executions finishing free their slot without any message from the
executors. The queue bound reads the arq queue's length.

Redis trouble never refuses a request here: limits fail open (the queue and the database still
protect the service), and are logged.
"""

from __future__ import annotations

import enum
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from services.gateway.auth.principal import Principal
from services.gateway.ratelimit import repository as repo
from services.gateway.state import GatewayState
from shared.auth.api_keys import hash_secret, looks_like_api_key
from shared.problems import ProblemError
from shared.redis_keys import EXECUTION_QUEUE, RATE_LIMIT_PREFIX, in_flight
from shared.settings import GatewaySettings, RateLimitPolicy

logger = logging.getLogger("coderunhub.gateway.ratelimit")

PENDING_PREFIX = "pending:"
# In-flight entries older than this are dropped without asking the database (a safety net: the
# executors' sweeper finishes stranded executions long before).
IN_FLIGHT_MAX_AGE_S = 2 * 3600
# An execution id reserved before its row was committed, and not found: given up after this long.
UNCOMMITTED_GRACE_S = 60
# A caller at the in-flight cap is told to come back after this many seconds.
IN_FLIGHT_RETRY_AFTER_S = 2

# Forget expired entries and, in ARGV[3..], finished ones; then count what is left.
# KEYS[1] the set; ARGV: now, max age, ids to forget...
_COUNT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
for i = 3, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
return redis.call('ZCARD', KEYS[1])
"""


class Budget(enum.StrEnum):
    executions = "executions"
    reads = "reads"
    writes = "writes"
    # POST /v1/analyses, cache hits too (charged by wiring.admitted_analysis, not as a write).
    analyses = "analyses"


CallerKind = Literal["anonymous", "user", "api_key"]


@dataclass(frozen=True, slots=True)
class Caller:
    kind: CallerKind
    # Whose budgets: ``key:<digest>``, ``user:<id>`` or ``ip:<address>``.
    bucket: str
    # Whose in-flight cap: ``user:<id>`` (every key of the user too) or ``ip:<address>``.
    owner: str
    policy: RateLimitPolicy


@dataclass(frozen=True, slots=True)
class Usage:
    budget: Budget
    rate: RateLimitItem
    remaining: int
    reset_after_s: int
    allowed: bool = True

    @property
    def limit(self) -> int:
        return int(self.rate.amount)

    @property
    def window_s(self) -> int:
        return int(self.rate.get_expiry())

    def headers(self) -> dict[str, str]:
        """IETF RateLimit headers: the structured pair of the current draft, and the older trio."""
        name = self.budget.value
        remaining = max(self.remaining, 0)
        return {
            "RateLimit-Policy": f'"{name}";q={self.limit};w={self.window_s}',
            "RateLimit": f'"{name}";r={remaining};t={self.reset_after_s}',
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(self.reset_after_s),
        }


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def caller_of(connection: HTTPConnection, principal: Principal, settings: GatewaySettings) -> Caller:
    """The caller's identity for limits, from an already resolved principal."""
    if principal.user_id is None:
        address = f"ip:{client_address(connection)}"
        return Caller("anonymous", address, address, settings.anonymous_rate_limits)
    owner = f"user:{principal.user_id}"
    bucket = owner
    if principal.kind == "api_key":
        token = connection.headers.get("authorization", "").partition(" ")[2].strip()
        if looks_like_api_key(token):
            bucket = f"key:{hash_secret(token).hex()[:32]}"
    return Caller(principal.kind, bucket, owner, settings.user_rate_limits)


def rate_of(policy: RateLimitPolicy, budget: Budget) -> RateLimitItem:
    return parse(str(getattr(policy, budget.value)))


class Limiter:
    """Moving-window budgets in Redis, sharing the gateway's connection pool."""

    def __init__(self, redis: Redis, url: str) -> None:
        options: dict[str, Any] = {"connection_pool": redis.connection_pool}
        self.redis = redis
        self.storage = RedisStorage("async+" + url, implementation="redispy", key_prefix=RATE_LIMIT_PREFIX, **options)
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def charge(self, caller: Caller, budget: Budget, cost: int = 1) -> Usage:
        rate = rate_of(caller.policy, budget)
        allowed = await self.strategy.hit(rate, budget.value, caller.bucket, cost=cost)
        return await self._usage(caller, budget, rate, allowed)

    async def peek(self, caller: Caller, budget: Budget) -> Usage:
        return await self._usage(caller, budget, rate_of(caller.policy, budget), True)

    async def _usage(self, caller: Caller, budget: Budget, rate: RateLimitItem, allowed: bool) -> Usage:
        stats = await self.strategy.get_window_stats(rate, budget.value, caller.bucket)
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return Usage(budget, rate, stats.remaining, reset_after, allowed)


def too_many(usage: Usage, cost: int) -> ProblemError:
    retry_after = max(1, usage.reset_after_s)
    if cost > usage.limit:
        detail = (
            f"This request needs {cost} from the {usage.budget.value} budget, which allows {usage.limit} "
            f"every {usage.window_s} seconds: split it."
        )
    else:
        detail = f"The {usage.budget.value} rate limit is exhausted; retry after {retry_after} seconds."
    headers = {**usage.headers(), "Retry-After": str(retry_after)}
    return ProblemError(429, "too-many-requests", "Too many requests", detail, headers=headers)


async def charge(state: GatewayState, limiter: Limiter, caller: Caller, budget: Budget, cost: int = 1) -> Usage | None:
    """Take ``cost`` from the caller's budget: its usage, or None when Redis is unavailable.
    Raises 429 when the budget cannot cover it."""
    try:
        usage = await limiter.charge(caller, budget, cost)
    except (RedisError, OSError):
        logger.warning("rate limits unavailable (Redis); letting the request through", exc_info=True)
        return None
    if not usage.allowed:
        raise too_many(usage, cost)
    return usage


async def queue_depth(redis: Redis) -> int:
    """Jobs due on the execution queue (queued or running; webhook retries waiting for later are not)."""
    return int(await redis.zcount(EXECUTION_QUEUE, "-inf", int(time.time() * 1000)))


class InFlight:
    """A caller's executions in flight (queued or running), capped at its policy's max_in_flight;
    admission.py takes the slots."""

    def __init__(self, state: GatewayState, caller: Caller) -> None:
        self.state = state
        self.caller = caller
        self.key = in_flight(caller.owner)
        self.cap = caller.policy.max_in_flight

    async def settled(self) -> list[str]:
        """Entries whose execution finished, or was never committed: their slots are free."""
        now = time.time()
        # A request holds its reservation at most until its wait ends.
        pending_max_age = self.state.settings.wait_timeout_s + UNCOMMITTED_GRACE_S
        entries: list[tuple[bytes, float]] = await self.state.redis.zrange(self.key, 0, -1, withscores=True)
        settled: list[str] = []
        ids: dict[uuid.UUID, tuple[str, float]] = {}
        for raw, score in entries:
            member = raw.decode()
            if member.startswith(PENDING_PREFIX):
                if now - score > pending_max_age:
                    settled.append(member)
                continue
            try:
                ids[uuid.UUID(member)] = (member, score)
            except ValueError:
                settled.append(member)
        if not ids:
            return settled
        async with self.state.sessionmaker() as session:
            statuses = await repo.statuses(session, list(ids))
        for eid, (member, score) in ids.items():
            status = statuses.get(eid)
            if status == "finished" or (status is None and now - score > UNCOMMITTED_GRACE_S):
                settled.append(member)
        return settled

    async def count(self) -> int:
        """Executions in flight now (after forgetting the finished ones)."""
        forget = await self.settled()
        args = [str(time.time()), str(IN_FLIGHT_MAX_AGE_S), *forget]
        return int(await cast(Awaitable[Any], self.state.redis.eval(_COUNT, 1, self.key, *args)))

    async def release(self, members: Sequence[str]) -> None:
        try:
            if members:
                await self.state.redis.zrem(self.key, *members)
        except (RedisError, OSError):
            logger.warning("could not release in-flight slots; they are freed when found unused", exc_info=True)
