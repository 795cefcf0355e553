"""Every SQL statement the executor runs.

The statements on an execution's path are Core statements on the tables: the ORM unit of work
costs about a millisecond per transaction that a hello world can feel.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Float, Integer, Row, Table, Update, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import fast
from shared.db.models import (
    CodeMetric,
    Execution,
    ExecutionFile,
    ExecutionPhase,
    ExecutionTestResult,
    Snippet,
    SnippetRevision,
)
from shared.executions import CaseRecord, ExecutionStatus, OutputFile, Phase, PhaseRecord

executions = cast(Table, Execution.__table__)
phases_table = cast(Table, ExecutionPhase.__table__)
test_results = cast(Table, ExecutionTestResult.__table__)
output_files = cast(Table, ExecutionFile.__table__)


async def get(session: AsyncSession, execution_id: uuid.UUID) -> Execution | None:
    return await session.get(Execution, execution_id)


def _claim_statement(
    execution_id: uuid.UUID, executor_id: str, started_at: datetime, queue_wait_us: int | None
) -> Update:
    return (
        update(executions)
        .where(
            executions.c.id == execution_id,
            executions.c.status != ExecutionStatus.finished.value,
            executions.c.program_started_at.is_(None),
        )
        .values(
            status=ExecutionStatus.running.value,
            executor_id=executor_id,
            attempts=executions.c.attempts + 1,
            started_at=started_at,
            queue_wait_us=func.coalesce(executions.c.queue_wait_us, queue_wait_us),
        )
    )


async def claim(
    session: AsyncSession, execution_id: uuid.UUID, executor_id: str, started_at: datetime, queue_wait_us: int | None
) -> Row[tuple[object, ...]] | None:
    """Mark the execution running, in one statement, and return its row; None if it is finished
    or its user code already ran."""
    stmt = _claim_statement(execution_id, executor_id, started_at, queue_wait_us).returning(*executions.c)
    return (await session.execute(stmt)).one_or_none()


# A first try's claim, as its user code starts (one statement; see claim_started).
_CLAIM_STARTED = """
UPDATE executions SET status = 'running', executor_id = $2, attempts = attempts + 1,
    started_at = $3, queue_wait_us = coalesce(queue_wait_us, $4), program_started_at = now()
WHERE id = $1 AND status <> 'finished' AND program_started_at IS NULL
RETURNING id
"""


async def claim_started(
    session: AsyncSession, execution_id: uuid.UUID, executor_id: str, started_at: datetime, queue_wait_us: int | None
) -> bool:
    """Claim and mark its user code started, in one statement (a first try, as its program starts);
    False if it is finished or its user code already ran elsewhere. (The same UPDATE as claim's,
    with the start; sent through asyncpg: it runs on every execution's path, shared/db/fast.py.)"""
    connection = await fast.driver(session)
    row = await connection.fetchrow(_CLAIM_STARTED, execution_id, executor_id, started_at, queue_wait_us)
    return row is not None


async def mark_program_started(session: AsyncSession, execution_id: uuid.UUID) -> None:
    await session.execute(
        update(executions)
        .where(executions.c.id == execution_id, executions.c.program_started_at.is_(None))
        .values(program_started_at=func.now())
    )


# Columns of a phase row the statement sets from a PhaseRecord (all but the execution's id).
PHASE_COLUMNS = tuple(column.key for column in phases_table.columns if column.key != "execution_id")


# What the result sets on the execution's row, then each phase's row (every column of the table).
_SAVED = ("status", "verdict", "message", "version", "finished_at", "run_wall_time_us", "run_memory_kb")
PHASE_COLUMNS = tuple(column.key for column in phases_table.columns)


@functools.cache
def _save_sql(phase_count: int) -> str:
    """The result's UPDATE with an INSERT CTE per phase: $1 the execution, then _SAVED (a None
    version keeps the stored one), then each phase's PHASE_COLUMNS."""
    first = 2 + len(_SAVED)
    ctes = [
        f"saved_phase_{i} AS ({fast.insert_sql(phases_table, PHASE_COLUMNS, first + i * len(PHASE_COLUMNS))})"
        for i in range(phase_count)
    ]
    sets = ", ".join(
        f"{key} = coalesce(${2 + i}, version)" if key == "version" else f"{key} = ${2 + i}"
        for i, key in enumerate(_SAVED)
    )
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    return f"{with_clause}UPDATE executions SET {sets} WHERE id = $1 RETURNING webhook_url, webhook_status"  # noqa: S608


async def save_outcome(
    session: AsyncSession,
    execution_id: uuid.UUID,
    *,
    verdict: str,
    message: str,
    version: str | None,
    phases: Sequence[PhaseRecord],
    finished_at: datetime,
    tests: Sequence[CaseRecord] = (),
    files: Sequence[OutputFile] = (),
) -> str | None:
    """Store the final result; returns the execution's webhook URL if its webhook awaits delivery.

    One statement (the phases and test results inserted by CTEs of the execution's UPDATE), so the
    caller may commit it by itself, in one round trip. Sent through asyncpg (it is on every
    execution's path, shared/db/fast.py); judged executions, with their cases, through SQLAlchemy.
    Output files are a second statement (only when there are any): the caller's transaction."""
    if files:
        rows = [{"execution_id": execution_id, **file.model_dump()} for file in files]
        await session.execute(insert(output_files), rows)
    if tests:
        return await _save_judged(session, execution_id, verdict, message, version, phases, finished_at, tests)
    run = next((phase for phase in phases if phase.phase == Phase.run), None)
    saved = {
        "status": ExecutionStatus.finished.value,
        "verdict": verdict,
        "message": message[:2000],
        "version": version,
        "finished_at": finished_at,
        "run_wall_time_us": run.wall_time_us if run else None,
        "run_memory_kb": run.memory_kb if run else None,
    }
    dialect = session.get_bind().dialect
    args = [execution_id, *fast.bind(executions, dialect, _SAVED, saved)]
    # Phases are written once, with the final state: a retried execution never saved any.
    for phase in phases:
        values = {"execution_id": execution_id, **phase.model_dump()}
        args += fast.bind(phases_table, dialect, PHASE_COLUMNS, values)
    row = await (await fast.driver(session)).fetchrow(_save_sql(len(phases)), *args)
    return row["webhook_url"] if row is not None and row["webhook_status"] == "pending" else None


async def _save_judged(
    session: AsyncSession,
    execution_id: uuid.UUID,
    verdict: str,
    message: str,
    version: str | None,
    phases: Sequence[PhaseRecord],
    finished_at: datetime,
    tests: Sequence[CaseRecord],
) -> str | None:
    run = next((phase for phase in phases if phase.phase == Phase.run), None)
    stmt = (
        update(executions)
        .where(executions.c.id == execution_id)
        .values(
            status=ExecutionStatus.finished.value,
            verdict=verdict,
            message=message[:2000],
            version=func.coalesce(version, executions.c.version),
            finished_at=finished_at,
            run_wall_time_us=run.wall_time_us if run else None,
            run_memory_kb=run.memory_kb if run else None,
        )
        .returning(executions.c.webhook_url, executions.c.webhook_status)
    )
    for index, phase in enumerate(phases):
        values = {"execution_id": execution_id, **phase.model_dump()}
        stmt = stmt.add_cte(insert(phases_table).values(values).cte(f"saved_phase_{index}"))
    rows = [{"execution_id": execution_id, **test.model_dump()} for test in tests]
    stmt = stmt.add_cte(insert(test_results).values(rows).cte("saved_tests"))
    row = (await session.execute(stmt)).one_or_none()
    return row.webhook_url if row is not None and row.webhook_status == "pending" else None


async def requeue(session: AsyncSession, execution_id: uuid.UUID) -> None:
    await session.execute(
        update(executions)
        .where(executions.c.id == execution_id)
        .values(status=ExecutionStatus.queued.value, executor_id=None)
    )


async def unfinished_of_executor(session: AsyncSession, executor_id: str) -> Sequence[Execution]:
    stmt = select(Execution).where(
        Execution.status == ExecutionStatus.running.value, Execution.executor_id == executor_id
    )
    return (await session.execute(stmt)).scalars().all()


async def unfinished_before(session: AsyncSession, before: datetime, limit: int = 500) -> Sequence[Execution]:
    stmt = (
        select(Execution)
        .where(Execution.status != ExecutionStatus.finished.value, Execution.created_at < before)
        .order_by(Execution.created_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def save_code_metrics(
    session: AsyncSession,
    snippet_id: uuid.UUID,
    revision: int,
    *,
    lines: int,
    code_lines: int,
    functions: int | None,
    ccn_max: int | None,
    ccn_avg: float | None,
) -> bool:
    """A saved revision's metrics; False when the revision is gone (its snippet was deleted) or
    already has them (a job run twice). Owner, language and time come from the revision's rows."""
    measured = select(
        SnippetRevision.snippet_id,
        SnippetRevision.number,
        Snippet.owner_id,
        SnippetRevision.language,
        literal(lines),
        literal(code_lines),
        literal(functions, Integer),
        literal(ccn_max, Integer),
        literal(ccn_avg, Float),
        SnippetRevision.created_at,
    ).where(
        SnippetRevision.snippet_id == snippet_id,
        SnippetRevision.number == revision,
        Snippet.id == SnippetRevision.snippet_id,
    )
    columns = [
        "snippet_id",
        "revision",
        "owner_id",
        "language",
        "lines",
        "code_lines",
        "functions",
        "ccn_max",
        "ccn_avg",
        "created_at",
    ]
    stmt = pg_insert(CodeMetric).from_select(columns, measured).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))
