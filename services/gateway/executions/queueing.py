"""Handing a committed execution to the executors, and what the gateway needs to know about them."""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError

from services.gateway.ratelimit.admission import Reservation
from services.gateway.state import GatewayState
from shared.executions import ExecutionJob
from shared.queue import queue_execution

logger = logging.getLogger("coderunhub.gateway.executions")


async def versions_or_empty(state: GatewayState) -> dict[str, str]:
    try:
        return await state.versions.get()
    except (RedisError, OSError):
        # Executors' version reports are unreachable: accept the submission without them.
        return {}


async def enqueue(
    state: GatewayState,
    execution_id: uuid.UUID,
    job: ExecutionJob | None = None,
    reservation: Reservation | None = None,
) -> None:
    """Queue a committed execution; its request's in-flight reservation becomes the execution in
    the same round trip."""
    try:
        async with state.redis.pipeline(transaction=False) as pipe:
            if reservation is not None:
                reservation.settle_in(pipe, str(execution_id))
            queue_execution(pipe, state.redis.job_serializer, execution_id, job)
            await pipe.execute()
    except (RedisError, OSError):
        # The row is committed: an executor's sweeper queues it once Redis is back.
        logger.exception("could not enqueue execution %s; the sweeper will retry", execution_id)
