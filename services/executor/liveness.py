"""Which executors are dead, as far as a sweeper can tell from their heartbeats.

A missing heartbeat alone is not death: when Redis restarts without persistence every heartbeat
vanishes at once, and live executors only write theirs again within a beat. Taking over their
executions or removing their sandboxes then would kill healthy runs (and warm pools). So an
executor counts as dead once its heartbeat has stayed missing for MISSING_GRACE_S, as seen by
this sweeper across two looks at least."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from shared.redis_keys import executor_heartbeat

# Several heartbeat intervals (one second each): a live executor has written its beat again by then.
MISSING_GRACE_S = 5.0


class DeathWatch:
    def __init__(self, grace_s: float = MISSING_GRACE_S) -> None:
        self.grace_s = grace_s
        self._missing_since: dict[str, float] = {}

    async def is_dead(self, redis: Redis, executor_id: str | None) -> bool:
        if executor_id is None:
            return True
        if await redis.exists(executor_heartbeat(executor_id)):
            self._missing_since.pop(executor_id, None)
            return False
        now = time.monotonic()
        first = self._missing_since.setdefault(executor_id, now)
        return now - first >= self.grace_s
