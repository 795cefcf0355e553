"""Cancelling an execution (POST /v1/executions/{id}/cancel).

Redis decides who ends it, so a gateway and an executor never both do:

- No executor holds its arq job (queued, or its executor is gone): the job is taken off the queue
  in one script, and this gateway finishes the execution (verdict ``cancelled``, a final event for
  its readers, its webhook). An executor that took the job an instant before finds the execution
  finished when it claims it and stops.
- An executor holds it: the executor is told, by a key it checks when it starts an execution and
  a message on the cancel channel for one already running. It kills the program, and its result
  says ``cancelled``; the request waits a little for that result.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, cast

from arq.constants import in_progress_key_prefix, job_key_prefix
from redis.exceptions import RedisError
from sqlalchemy import update

from services.gateway.auth.principal import Principal
from services.gateway.executions import repository as repo
from services.gateway.executions.submission import until_final
from services.gateway.state import GatewayState
from shared.db.models import Execution
from shared.executions import ExecutionRecord, ExecutionStatus, Verdict
from shared.problems import NotFoundProblem, ProblemError
from shared.queue import enqueue_delivery
from shared.redis_keys import (
    EXECUTION_CANCEL_CHANNEL,
    EXECUTION_QUEUE,
    execution_cancel,
    execution_channel,
    execution_stream,
    execution_stream_end,
)

logger = logging.getLogger("coderunhub.gateway.executions")

CANCELLED_MESSAGE = "Cancelled on request"
# How long the cancel marker outlives the request: longer than any execution can wait in the queue.
CANCEL_MARKER_S = 3_600
# How long the request waits for an executor to report the cancelled result before answering 202.
CANCEL_WAIT_S = 5.0
# The executor's defaults (ExecutorSettings.stream_finished_ttl_s, stream_ttl_s) for the Stream of
# an execution this gateway finishes: late readers replay it for a minute, then PostgreSQL has it.
FINISHED_STREAM_TTL_S = 60
STREAM_END_TTL_S = 3_600

# KEYS: the queue, the arq job, its in-progress marker. ARGV: the job id.
# 1: nobody runs it and it will not start (taken off the queue); 0: an executor holds it.
_TAKE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
"""

# The final event of an execution this gateway finished, numbered after whatever an earlier
# attempt published. KEYS: Stream, channel, end marker. ARGV: verdict, Stream TTL, marker TTL.
_FINISH = """
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then seq = math.max(seq, tonumber(string.match(last[1][1], '^(%d+)'))) end
seq = seq + 1
local encoded = '{"seq":' .. seq .. ',"type":"result","status":"finished","verdict":"' .. ARGV[1] .. '"}\\n'
redis.call('XADD', KEYS[1], seq .. '-0', 'e', encoded)
redis.call('PUBLISH', KEYS[2], encoded)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], seq, 'EX', ARGV[3])
return seq
"""


class AlreadyFinished(ProblemError):
    def __init__(self, record: ExecutionRecord) -> None:
        verdict = record.verdict.value if record.verdict else "unknown"
        super().__init__(
            409, "execution-finished", "Execution already finished", f"It finished with verdict {verdict}."
        )


async def cancel(state: GatewayState, principal: Principal, execution_id: uuid.UUID) -> ExecutionRecord:
    """Cancel and return the execution: finished (cancelled, or whatever it ended with first) or,
    when its executor has not reported within CANCEL_WAIT_S, as it stands."""
    async with state.sessionmaker() as session:
        record = await repo.load_record(session, execution_id)
    # Whoever may read it: its owner and admins, or for an anonymous execution whoever holds its
    # id, which is its only credential (as for reading it).
    if record is None or not principal.may_see(record.user_id):
        raise NotFoundProblem(f"Execution {execution_id}")
    return await _stop(state, record, execution_id)


async def stop(state: GatewayState, execution_id: uuid.UUID) -> ExecutionRecord:
    """As ``cancel``, for a caller whose right to stop it was established otherwise (an editor of
    the collaborative session the run belongs to)."""
    async with state.sessionmaker() as session:
        record = await repo.load_record(session, execution_id)
    if record is None:
        raise NotFoundProblem(f"Execution {execution_id}")
    return await _stop(state, record, execution_id)


async def _stop(state: GatewayState, record: ExecutionRecord, execution_id: uuid.UUID) -> ExecutionRecord:
    if record.status is ExecutionStatus.finished:
        raise AlreadyFinished(record)

    ended: ExecutionRecord | None = None
    # Subscribed (confirmed) before anyone is told: the executor's final event cannot be missed.
    async with state.hub.subscribe(execution_channel(execution_id)) as subscription:
        eid = str(execution_id)
        async with state.redis.pipeline(transaction=False) as pipe:
            pipe.set(execution_cancel(execution_id), "1", ex=CANCEL_MARKER_S)
            pipe.publish(EXECUTION_CANCEL_CHANNEL, eid)
            pipe.eval(_TAKE, 3, EXECUTION_QUEUE, job_key_prefix + eid, in_progress_key_prefix + eid, eid)
            *_, taken = await pipe.execute()
        if taken:
            await _finish_here(state, execution_id)
        else:
            deadline = asyncio.get_running_loop().time() + CANCEL_WAIT_S
            ended = await until_final(state, execution_id, subscription, deadline)
    if ended is not None:
        return ended
    async with state.sessionmaker() as session:
        current = await repo.load_record(session, execution_id)
    assert current is not None  # executions are never deleted while their owner exists
    return current


async def take_if_queued(state: GatewayState, execution_id: uuid.UUID) -> bool:
    """Finish the execution if no executor holds it yet (an interactive session's Stop while it
    waits in the queue); False when one does: its input Stream's kill then reaches the program.
    Unlike ``_stop`` nothing tells a running executor, whose kill already travels in the input."""
    eid = str(execution_id)
    keys = (EXECUTION_QUEUE, job_key_prefix + eid, in_progress_key_prefix + eid)
    taken = await cast(Awaitable[int], state.redis.eval(_TAKE, 3, *keys, eid))
    if taken:
        await _finish_here(state, execution_id)
    return bool(taken)


async def _finish_here(state: GatewayState, execution_id: uuid.UUID) -> None:
    """Finish an execution no executor holds; a no-op when something finished it meanwhile."""
    async with state.sessionmaker() as session:
        row = (
            await session.execute(
                update(Execution)
                .where(Execution.id == execution_id, Execution.status != ExecutionStatus.finished.value)
                .values(
                    status=ExecutionStatus.finished.value,
                    verdict=Verdict.cancelled.value,
                    message=CANCELLED_MESSAGE,
                    finished_at=datetime.now(UTC),
                )
                .returning(Execution.webhook_url, Execution.webhook_status)
            )
        ).one_or_none()
        await session.commit()
    if row is None:
        return
    try:
        keys = [execution_stream(execution_id), execution_channel(execution_id), execution_stream_end(execution_id)]
        args: list[Any] = [Verdict.cancelled.value, FINISHED_STREAM_TTL_S, STREAM_END_TTL_S]
        await cast(Awaitable[Any], state.redis.eval(_FINISH, 3, *keys, *args))
    except (RedisError, OSError):
        # Committed: readers fall back to PostgreSQL.
        logger.warning("could not announce the cancellation of %s", execution_id, exc_info=True)
    if row.webhook_url is not None and row.webhook_status == "pending":
        await enqueue_delivery(state.redis, execution_id)
