"""Handing a committed execution to the executors, and what the gateway needs to know about them."""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError

from services.gateway.state import GatewayState
from shared.executions import ExecutionJob
from shared.queue import enqueue_execution

logger = logging.getLogger("coderunhub.gateway.executions")


async def versions_or_empty(state: GatewayState) -> dict[str, str]:
    try:
        return await state.versions.get()
    except (RedisError, OSError):
        # Executors' version reports are unreachable: accept the submission without them.
        return {}


async def enqueue(state: GatewayState, execution_id: uuid.UUID, job: ExecutionJob | None = None) -> None:
    try:
        await enqueue_execution(state.redis, execution_id, job)
    except (RedisError, OSError):
        # The row is committed: an executor's sweeper queues it once Redis is back.
        logger.exception("could not enqueue execution %s; the sweeper will retry", execution_id)
