"""Which languages exist (shared catalogue) and which versions executors reported (by key)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis

from shared.redis_keys import RUNTIMES


async def read_versions(redis: Redis) -> dict[str, str]:
    raw = await cast(Awaitable[dict[bytes, bytes]], redis.hgetall(RUNTIMES))
    versions: dict[str, str] = {}
    for key, value in raw.items():
        try:
            versions[key.decode()] = str(json.loads(value)["version"])
        except (ValueError, KeyError, TypeError):
            continue
    return versions


class VersionCache:
    """Versions change only when executors start with new images: read them at most every ``ttl_s``."""

    def __init__(self, redis: Redis, ttl_s: float) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._versions: dict[str, str] = {}
        self._read_at = float("-inf")

    async def get(self) -> dict[str, str]:
        now = time.monotonic()
        if now - self._read_at >= self._ttl_s or not self._versions:
            self._versions = await read_versions(self._redis)
            self._read_at = now
        return self._versions
