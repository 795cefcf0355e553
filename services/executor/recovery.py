"""Recovery: every execution finishes, whatever happens to the executor that took it.

At start-up an executor resolves what its previous run left unfinished (``recover_own``); every
``sweep_interval_s`` it requeues executions lost from Redis, takes over those of dead executors
(run again once if user code never started, else finished as interrupted), removes dead
executors' sandboxes and queues webhooks whose delivery never started. Each step commits itself.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix

from services.executor import repository as repo
from services.executor.analysis import requeue_dead
from services.executor.finishing import drop_job, finish_interrupted, finish_with
from services.executor.sandbox.box import queue_label, remove_sandboxes, sandbox_owners
from services.executor.state import ExecutorState
from services.executor.webhooks import requeue_stranded
from shared.db.models import Execution
from shared.executions import ExecutionStatus, Verdict
from shared.queue import enqueue_execution
from shared.redis_keys import EXECUTION_QUEUE

logger = logging.getLogger("coderunhub.executor.jobs")

# One retry: a second executor death before the program started ends the execution.
MAX_ATTEMPTS = 2
RETRIES_EXHAUSTED_MESSAGE = (
    "The executors assigned to this execution stopped unexpectedly twice; it was not retried again"
)


async def resume(state: ExecutorState, execution: Execution) -> None:
    """An execution whose executor died: run it again once if user code never started, else finish it."""
    if execution.program_started_at is not None:
        await finish_interrupted(state, execution.id)
        return
    if execution.attempts >= MAX_ATTEMPTS:
        await finish_with(state, execution.id, Verdict.internal_error, RETRIES_EXHAUSTED_MESSAGE)
        await drop_job(state, execution.id)
        return
    async with state.sessionmaker() as session:
        await repo.requeue(session, execution.id)
        await session.commit()
    await state.redis.delete(in_progress_key_prefix + str(execution.id))
    await ensure_queued(state, execution.id)


async def ensure_queued(state: ExecutorState, eid: uuid.UUID) -> None:
    if await state.redis.zscore(EXECUTION_QUEUE, str(eid)) is None:
        # The job is gone (e.g. Redis restarted without persistence): put it back.
        # A stored result of a failed try would make the enqueue a no-op.
        await state.redis.delete(job_key_prefix + str(eid), result_key_prefix + str(eid))
        await enqueue_execution(state.redis, eid)


async def recover_own(state: ExecutorState) -> None:
    """At start-up: whatever this executor was running when it died is resolved now."""
    async with state.sessionmaker() as session:
        stranded = await repo.unfinished_of_executor(session, state.settings.executor_id)
    for execution in stranded:
        await resume(state, execution)
    if stranded:
        logger.warning("recovered %d executions interrupted by a previous run of this executor", len(stranded))


async def reap_orphaned_sandboxes(state: ExecutorState) -> int:
    """Remove sandboxes on this engine whose executor is dead (e.g. scaled down, never restarted)."""
    removed = 0
    for executor_id in await sandbox_owners(state.docker, queue_label(state.settings.redis_url.get_secret_value())):
        if executor_id != state.settings.executor_id and await state.deaths.is_dead(state.redis, executor_id):
            removed += await remove_sandboxes(state.docker, executor_id)
    return removed


async def sweep(state: ExecutorState) -> int:
    """Periodically: requeue executions lost from Redis and take over those of dead executors."""
    before = datetime.now(UTC) - timedelta(seconds=state.settings.stuck_after_s)
    async with state.sessionmaker() as session:
        candidates = await repo.unfinished_before(session, before)
    fixed = 0
    for execution in candidates:
        if execution.status == ExecutionStatus.queued:
            in_progress = await state.redis.exists(in_progress_key_prefix + str(execution.id))
            if not in_progress and await state.redis.zscore(EXECUTION_QUEUE, str(execution.id)) is None:
                await ensure_queued(state, execution.id)
                fixed += 1
        elif execution.executor_id != state.settings.executor_id and await state.deaths.is_dead(
            state.redis, execution.executor_id
        ):
            await resume(state, execution)
            fixed += 1
    if fixed:
        logger.warning("sweeper repaired %d executions", fixed)
    analyses = await requeue_dead(state)
    if analyses:
        logger.warning("sweeper queued again %d analyses of dead executors", analyses)
    reaped = await reap_orphaned_sandboxes(state)
    if reaped:
        logger.warning("sweeper removed %d sandboxes of dead executors", reaped)
    webhooks = await requeue_stranded(state)
    if webhooks:
        logger.warning("sweeper queued %d webhooks whose delivery never started", webhooks)
    return fixed
