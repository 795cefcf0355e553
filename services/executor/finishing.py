"""Ending an execution the executor could not run to completion, shared by the job and recovery.

These commit (they are the boundary): each is a whole step of a job or of a sweep.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from arq.constants import in_progress_key_prefix, job_key_prefix

from services.executor import repository as repo
from services.executor.events import EventPublisher, stream_policy
from services.executor.state import ExecutorState
from services.executor.webhooks import enqueue_delivery
from shared.executions import Verdict
from shared.redis_keys import EXECUTION_QUEUE

logger = logging.getLogger("coderunhub.executor.jobs")

INTERRUPTED_MESSAGE = (
    "The executor running this execution stopped unexpectedly; "
    "it was not retried because the program had already started"
)


async def finish_with(state: ExecutorState, eid: uuid.UUID, verdict: Verdict, message: str) -> None:
    async with state.sessionmaker() as session:
        webhook_url = await repo.save_outcome(
            session, eid, verdict=verdict.value, message=message, version=None, phases=(), finished_at=datetime.now(UTC)
        )
        await session.commit()
    events = await EventPublisher.open(state.redis, eid, stream_policy(state.settings))
    await events.finish(verdict.value)
    if webhook_url is not None:
        await enqueue_delivery(state.redis, eid)


async def finish_interrupted(state: ExecutorState, eid: uuid.UUID) -> None:
    logger.warning("execution %s was interrupted after its program started", eid)
    await finish_with(state, eid, Verdict.internal_error, INTERRUPTED_MESSAGE)
    await drop_job(state, eid)


async def drop_job(state: ExecutorState, eid: uuid.UUID) -> None:
    async with state.redis.pipeline(transaction=True) as pipe:
        pipe.zrem(EXECUTION_QUEUE, str(eid))
        pipe.delete(job_key_prefix + str(eid), in_progress_key_prefix + str(eid))
        await pipe.execute()
