"""Which languages exist (shared catalogue) and which versions executors reported."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis

from shared.redis_keys import RUNTIMES


async def available_versions(redis: Redis) -> dict[str, str]:
    raw = await cast(Awaitable[dict[bytes, bytes]], redis.hgetall(RUNTIMES))
    versions: dict[str, str] = {}
    for key, value in raw.items():
        try:
            versions[key.decode()] = str(json.loads(value)["version"])
        except (ValueError, KeyError, TypeError):
            continue
    return versions
