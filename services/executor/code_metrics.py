"""Storing a saved snippet revision's metrics: the analysis lane's one write to PostgreSQL.

Who writes the rows, and why here: the gateway queues a `metrics` job carrying ``persist``
(the snippet and revision) once a save has committed, and answers the save without waiting.
The executor that runs the job writes the row, in a transaction of its own, before the job
leaves its processing list: a job survives a gateway restart and, once, an executor dying
(requeue_dead), which a gateway waiting on the result to write it itself would not. Owner,
language and time are read from the revision's rows in the same statement, and a revision
deleted meanwhile (or stored already) simply gets no row. Metrics never fail anything: a
database error is logged and the analysis result is cached as usual.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from services.executor import repository
from services.executor.state import ExecutorState
from shared.analysis.model import AnalysisJob, AnalysisResult
from shared.redis_keys import analysis_result

logger = logging.getLogger("coderunhub.executor.analysis")


async def store(state: ExecutorState, job: AnalysisJob, result: AnalysisResult) -> None:
    """The row for the job's revision, when the job asked for it and the metrics came out (a tool
    that hit a limit or failed leaves the revision without metrics)."""
    target, metrics = job.persist, result.metrics
    if target is None:
        return
    if metrics is None:
        logger.info("no metrics for snippet %s revision %d: %s", target.snippet_id, target.revision, result.status)
        return
    measured = bool(metrics.measured_files)
    try:
        async with state.sessionmaker() as session:
            await repository.save_code_metrics(
                session,
                target.snippet_id,
                target.revision,
                lines=metrics.lines,
                code_lines=metrics.code_lines,
                functions=metrics.function_count if measured else None,
                ccn_max=metrics.ccn_max if measured else None,
                ccn_avg=metrics.ccn_avg if measured else None,
            )
            await session.commit()
    except (SQLAlchemyError, OSError):
        # Also the revision's snippet deleted between the statement's read and its write (the
        # foreign key): nothing to keep.
        logger.warning(
            "metrics of snippet %s revision %d not stored", target.snippet_id, target.revision, exc_info=True
        )


async def store_cached(state: ExecutorState, job: AnalysisJob) -> None:
    """The row from the result cached for the same files (the job itself is then dropped)."""
    raw = await state.redis.get(analysis_result(job.key))
    if raw is None:
        return
    try:
        result = AnalysisResult.model_validate_json(raw)
    except ValidationError:
        return
    await store(state, job, result)
