"""A session's control events (``{"type": "ended" | "role" | "revoked", ...}``) on its Redis
channel, for every gateway holding sockets of the session (the socket side subscribes).

Published only after the change committed: a gateway reacting to an event re-reads PostgreSQL
and must find the change there."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from shared.redis_keys import collab_control_channel


async def publish(redis: Redis, session_id: uuid.UUID, event: dict[str, Any]) -> None:
    await redis.publish(collab_control_channel(session_id), json.dumps(event, default=str))


async def publish_all(redis: Redis, session_id: uuid.UUID, events: Iterable[dict[str, Any]]) -> None:
    for event in events:
        await publish(redis, session_id, event)
