"""arq jobs: running an execution (recovery.py guarantees every execution finishes).

The job is the transaction boundary: the repository never commits, these functions do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import structlog
from arq import Retry

from services.executor import repository as repo
from services.executor.events import EventPublisher, stream_policy
from services.executor.finishing import finish_interrupted, finish_with
from services.executor.interactive import input_feed
from services.executor.judging import judge
from services.executor.runner import ExecutionOutcome, ExecutionSpec, StdinFeed
from services.executor.state import ExecutorState
from services.executor.webhooks import enqueue_delivery, pending_webhook
from shared.db.records import execution_job
from shared.db.session import single_statement
from shared.executions import ExecutionJob, ExecutionRecord, ExecutionStatus, Verdict
from shared.languages import Language, variant_of
from shared.observability import EXECUTION_DURATION, EXECUTIONS, IN_FLIGHT, QUEUE_WAIT
from shared.settings import ExecutorSettings

logger = logging.getLogger("coderunhub.executor.jobs")

# arq tries a job this often (worker.py registers it so); the last failure finishes the execution.
MAX_JOB_TRIES = 3
EXECUTOR_FAILED_MESSAGE = "The executor could not run this execution"
NO_LONGER_AVAILABLE = "This language version is no longer available"


# A finished record up to this size rides in the final event; larger ones are read from the database.
INLINE_RECORD_BYTES = 256 * 1024


def build_spec(
    job: ExecutionJob, language: Language, settings: ExecutorSettings, stop: asyncio.Event | None = None
) -> ExecutionSpec:
    return ExecutionSpec(
        id=str(job.id),
        language=language,
        files=[(f.name, f.data()) for f in job.files],
        stdin=job.stdin,
        args=job.args,
        compile_options=job.compile_options,
        limits=job.limits,
        compile_limits=job.compile_limits,
        test_cases=job.test_cases,
        compare=job.compare,
        reuse=settings.sandbox_mode_for(anonymous=job.user_id is None) == "reuse",
        stop=stop,
        output_files=job.output_files,
    )


async def run_execution(ctx: dict[str, Any], execution_id: str, job: dict[str, Any] | None = None) -> str:
    state: ExecutorState = ctx["state"]
    structlog.contextvars.bind_contextvars(execution_id=execution_id)
    enqueued_at: datetime | None = ctx.get("enqueue_time")
    if enqueued_at is not None and ctx.get("job_try", 1) == 1:
        QUEUE_WAIT.observe(max(0.0, (datetime.now(UTC) - enqueued_at).total_seconds()))
    IN_FLIGHT.inc()
    try:
        # While an execution is in flight the pool defers container start-ups and removals.
        async with state.runner.pool.activity():
            eid, enqueued = uuid.UUID(execution_id), ctx.get("enqueue_time")
            if job is not None and ctx.get("job_try", 1) == 1:
                return await _run_first_try(state, ExecutionJob.model_validate(job), enqueued)
            return await _run(state, eid, enqueued)
    except Exception as exc:
        # Anything unexpected (a database or Redis hiccup): arq runs the job again shortly, which
        # the claim makes safe. The last try ends the execution instead of leaving it to the sweeper.
        if ctx.get("job_try", 1) >= MAX_JOB_TRIES:
            logger.exception("execution %s failed in the executor on its last try", execution_id)
            with contextlib.suppress(Exception):
                await finish_with(state, uuid.UUID(execution_id), Verdict.internal_error, EXECUTOR_FAILED_MESSAGE)
            return "failed"
        logger.exception("execution %s failed in the executor; retrying", execution_id)
        raise Retry(defer=1) from exc
    finally:
        IN_FLIGHT.dec()
        structlog.contextvars.unbind_contextvars("execution_id")


def _queue_wait(now: datetime, enqueued: datetime | None) -> int | None:
    return int((now - enqueued).total_seconds() * 1e6) if enqueued else None


async def _claim_started(state: ExecutorState, eid: uuid.UUID, now: datetime, wait_us: int | None) -> bool:
    async with state.sessionmaker() as session:
        await single_statement(session)
        claimed = await repo.claim_started(session, eid, state.settings.executor_id, now, wait_us)
        await session.commit()
    return claimed


async def _run_first_try(state: ExecutorState, job: ExecutionJob, enqueued: datetime | None) -> str:
    """A first try (arq's job_try 1) cannot have run before, so nothing is written until its user
    code starts: then one statement claims it and marks the start, alongside the program (it must
    succeed before the result is saved). An executor that dies before that leaves the job to arq's
    retry, as if it had never been taken."""
    now = datetime.now(UTC)
    language = variant_of(job.language, job.variant)
    if language is None:
        await finish_with(state, job.id, Verdict.internal_error, NO_LONGER_AVAILABLE)
        return "unknown language"
    wait_us = _queue_wait(now, enqueued)
    return await _execute(state, job, language, now, lambda: _claim_started(state, job.id, now, wait_us))


async def _run(state: ExecutorState, eid: uuid.UUID, enqueued: datetime | None) -> str:
    """A retry, or a job without its payload: claim first, then run what the database holds."""
    now = datetime.now(UTC)
    async with state.sessionmaker() as session:
        row = await repo.claim(session, eid, state.settings.executor_id, now, _queue_wait(now, enqueued))
        current = None if row is not None else await repo.get(session, eid)
        await session.commit()
    if row is None:
        if current is None or current.status == ExecutionStatus.finished:
            return "nothing to do"
        # Claimed before, and user code started: running it again could repeat its effects.
        await finish_interrupted(state, eid)
        return "interrupted"
    job = execution_job(row)
    language = variant_of(job.language, job.variant)
    if language is None:
        await finish_with(state, eid, Verdict.internal_error, NO_LONGER_AVAILABLE)
        return "unknown language"
    return await _execute(state, job, language, now, None)


async def _execute(
    state: ExecutorState,
    job: ExecutionJob,
    language: Language,
    started_at: datetime,
    claim_at_start: Callable[[], Coroutine[Any, Any, bool]] | None,
) -> str:
    """Run a claimed execution (claim_at_start None), or a first try that claims itself when its
    user code starts (claim_at_start), and save and publish its outcome."""
    eid = job.id
    with state.cancels.watch(eid) as stop:
        feed = input_feed(state.redis, eid, stop) if job.interactive else None
        return await _execute_watched(
            state, job, language, started_at, claim_at_start, build_spec(job, language, state.settings, stop), feed
        )


async def _execute_watched(
    state: ExecutorState,
    job: ExecutionJob,
    language: Language,
    started_at: datetime,
    claim_at_start: Callable[[], Coroutine[Any, Any, bool]] | None,
    spec: ExecutionSpec,
    feed: StdinFeed | None,
) -> str:
    eid = job.id
    events = await EventPublisher.open(
        state.redis, eid, stream_policy(state.settings, job.user_id), fresh=claim_at_start is not None
    )
    events.status(ExecutionStatus.running.value)
    claim: asyncio.Task[bool] | None = None
    marker: asyncio.Task[None] | None = None

    def stop_unless_claimed(task: asyncio.Task[bool]) -> None:
        # Finished meanwhile (cancelled while queued, or taken over): its program stops now, not at
        # its time limit, and its result is not kept.
        if spec.stop is not None and not task.cancelled() and task.exception() is None and not task.result():
            spec.stop.set()

    def on_user_code() -> None:
        nonlocal claim, marker
        if claim_at_start is not None:
            if claim is None:
                claim = asyncio.create_task(claim_at_start())
                claim.add_done_callback(stop_unless_claimed)
        elif marker is None:
            marker = asyncio.create_task(_mark_program_started(state, eid))

    try:
        if spec.test_cases:
            outcome = await judge(
                state.runner, spec, events, on_user_code, output_cap=state.settings.judge_output_bytes
            )
        else:
            outcome = await state.runner.execute(spec, events, on_user_code, feed)
    except Exception:
        logger.exception("execution %s failed inside the executor", eid)
        outcome = ExecutionOutcome(Verdict.internal_error, "The executor failed while running this execution")
    if claim is not None and not await claim:
        # Finished or taken over meanwhile (e.g. by a sweeper): this result is not the one kept.
        await events.close()
        return "superseded"
    if marker is not None:
        await marker
    version = state.versions.get(language.key) or job.version
    finished_at = datetime.now(UTC)
    async with state.sessionmaker() as session:
        if not outcome.files:
            # One statement commits by itself; with output files the result and the files are
            # two statements of one transaction.
            await single_statement(session)
        webhook_url = await repo.save_outcome(
            session,
            eid,
            verdict=outcome.verdict.value,
            message=outcome.message,
            version=version,
            phases=outcome.phases,
            finished_at=finished_at,
            tests=outcome.tests,
            files=outcome.files,
        )
        await session.commit()
    record = ExecutionRecord(
        id=eid,
        user_id=job.user_id,
        language=job.language,
        version=version,
        status=ExecutionStatus.finished,
        verdict=outcome.verdict,
        message=outcome.message[:2000],
        created_at=job.created_at,
        started_at=started_at,
        finished_at=finished_at,
        limits=spec.limits,
        compile_limits=spec.compile_limits,
        phases=outcome.phases,
        test_count=len(job.test_cases),
        compare=job.compare if job.test_cases else None,
        tests=outcome.tests,
        webhook=pending_webhook(webhook_url),
        api=job.api,
        files=outcome.files,
    )
    inline = record.model_dump_json().encode()
    # The final event goes out only after the result is committed: a reader may load it at once.
    await events.finish(outcome.verdict.value, inline if len(inline) <= INLINE_RECORD_BYTES else b"")
    if webhook_url is not None:
        await enqueue_delivery(state.redis, eid)
    EXECUTIONS.labels(job.language, outcome.verdict.value).inc()
    EXECUTION_DURATION.labels(job.language).observe((finished_at - started_at).total_seconds())
    return outcome.verdict.value


async def _mark_program_started(state: ExecutorState, eid: uuid.UUID) -> None:
    async with state.sessionmaker() as session:
        await repo.mark_program_started(session, eid)
        await session.commit()
