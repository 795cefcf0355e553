"""The cap on analyses one caller waits for at once (``max_analyses_in_flight``), apart from its
executions in flight: a sorted set of request tokens per caller (score: when the wait began),
taken and counted by one script, released when the request answers. An entry a crashed gateway
left behind stops counting after the longest wait a request can have, so nothing needs a sweep.
Like the other limits, it fails open when Redis cannot be asked."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, cast

from redis.exceptions import RedisError

from services.gateway.ratelimit.service import Caller
from services.gateway.state import GatewayState
from shared.problems import ProblemError
from shared.redis_keys import analyses_in_flight

logger = logging.getLogger("coderunhub.gateway.ratelimit")

RETRY_AFTER_S = 1
# Beyond a request's wait: the time to answer it.
SLACK_S = 5

# KEYS: the caller's set. ARGV: now, max age, cap, token. Returns 1 when the slot was taken.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
return 1
"""


@contextlib.asynccontextmanager
async def analysis_slot(state: GatewayState, caller: Caller | None) -> AsyncIterator[None]:
    """Hold one of the caller's analysis slots while the block runs (429 when all are taken)."""
    if caller is None:
        yield
        return
    key = analyses_in_flight(caller.owner)
    token = secrets.token_hex(8)
    cap = caller.policy.max_analyses_in_flight
    max_age = state.settings.analysis_wait_s + SLACK_S
    try:
        taken = await cast(
            Awaitable[Any], state.redis.eval(_TAKE, 1, key, f"{time.time():.6f}", str(max_age), str(cap), token)
        )
    except (RedisError, OSError):
        logger.warning("analysis in-flight cap unavailable (Redis); letting the request through", exc_info=True)
        taken = None
    if taken == 0:
        who = "your account" if caller.owner.startswith("user:") else "your address"
        raise ProblemError(
            429,
            "too-many-in-flight",
            "Too many analyses in flight",
            f"{cap} analyses of {who} are running (at most {cap}); retry when one has answered.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    try:
        yield
    finally:
        if taken:
            with contextlib.suppress(RedisError, OSError):
                await state.redis.zrem(key, token)
