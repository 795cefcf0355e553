"""Putting executions on the arq queue and waking an executor, in one round trip.

The job is stored exactly as arq's ``enqueue_job`` would store it (same keys, same serialisation,
same refusal when a job or result with that id exists), so arq's worker machinery (retries,
in-progress keys, results) is unchanged. A Lua script also pushes the job id on the wake list an
idle executor blocks on, so dispatch does not wait for arq's poll.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import Serializer, serialize_job
from arq.utils import timestamp_ms
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from shared.executions import ExecutionJob
from shared.redis_keys import EXECUTION_QUEUE, EXECUTION_WAKE, webhook_job_id
from shared.webhooks import DELIVER_WEBHOOK_JOB

logger = logging.getLogger("coderunhub.queue")

RUN_EXECUTION_JOB = "run_execution"
# Tokens nobody consumed (all executors busy) are harmless; keep the list short anyway.
MAX_WAKE_TOKENS = 1024
JOB_EXPIRES_MS = 24 * 3600 * 1000

_ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('LPUSH', KEYS[4], ARGV[4])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
return 1
"""


def queue_execution(
    pipe: Pipeline, serializer: Serializer | None, execution_id: uuid.UUID, job: ExecutionJob | None = None
) -> None:
    """Add the enqueue to ``pipe`` (its reply: 1 if queued, 0 if it already was), so a caller can
    send it with other commands in one round trip."""
    job_id = str(execution_id)
    now = timestamp_ms()
    kwargs = {"job": job.model_dump(mode="json")} if job is not None else {}
    payload = serialize_job(RUN_EXECUTION_JOB, (job_id,), kwargs, None, now, serializer=serializer)
    keys = [job_key_prefix + job_id, result_key_prefix + job_id, EXECUTION_QUEUE, EXECUTION_WAKE]
    # EVAL rather than EVALSHA: a pipeline cannot recover from NOSCRIPT by itself, and Redis finds
    # the compiled script by the body's digest anyway.
    args: list[Any] = [payload, JOB_EXPIRES_MS, now, job_id, MAX_WAKE_TOKENS]
    pipe.eval(_ENQUEUE, len(keys), *keys, *args)


async def enqueue_execution(pool: ArqRedis, execution_id: uuid.UUID, job: ExecutionJob | None = None) -> bool:
    """Enqueue (idempotent: the arq job id is the execution id); False if it already was.

    With ``job``, the executor can start without reading the execution from the database.
    """
    async with pool.pipeline(transaction=False) as pipe:
        queue_execution(pipe, pool.job_serializer, execution_id, job)
        (added,) = await pipe.execute()
    return bool(added)


async def enqueue_delivery(redis: ArqRedis, execution_id: uuid.UUID) -> None:
    """Queue the delivery (once per execution: the job id is derived from it). Never raises: a
    delivery that could not be queued is found by the sweeper."""
    try:
        await redis.enqueue_job(
            DELIVER_WEBHOOK_JOB,
            str(execution_id),
            str(uuid.uuid4()),
            _job_id=webhook_job_id(execution_id),
            _queue_name=EXECUTION_QUEUE,
        )
    except (RedisError, OSError):
        logger.warning("could not queue the webhook of %s; the sweeper will", execution_id, exc_info=True)
