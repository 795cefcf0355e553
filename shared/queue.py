"""Putting executions on the arq queue, and waking an idle executor at once."""

from __future__ import annotations

import uuid

from arq.connections import ArqRedis

from shared.redis_keys import EXECUTION_QUEUE, EXECUTION_WAKE

RUN_EXECUTION_JOB = "run_execution"
# Wake tokens nobody consumed (all executors busy) are harmless; keep the list short anyway.
MAX_WAKE_TOKENS = 256


async def enqueue_execution(pool: ArqRedis, execution_id: uuid.UUID) -> None:
    """Enqueue (idempotent: the arq job id is the execution id) and wake one blocked executor."""
    await pool.enqueue_job(RUN_EXECUTION_JOB, str(execution_id), _job_id=str(execution_id), _queue_name=EXECUTION_QUEUE)
    async with pool.pipeline(transaction=False) as pipe:
        pipe.lpush(EXECUTION_WAKE, b"1")
        pipe.ltrim(EXECUTION_WAKE, 0, MAX_WAKE_TOKENS - 1)
        await pipe.execute()
