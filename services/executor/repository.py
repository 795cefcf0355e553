"""Every SQL statement the executor runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.executor.verdicts import PhaseOutcome
from shared.db.models import Execution, ExecutionPhase
from shared.executions import ExecutionStatus


async def get(session: AsyncSession, execution_id: uuid.UUID) -> Execution | None:
    return await session.get(Execution, execution_id)


async def claim(
    session: AsyncSession, execution_id: uuid.UUID, executor_id: str, started_at: datetime, queue_wait_us: int | None
) -> Execution | None:
    """Mark the execution running, in one statement; None if it is finished or its user code already ran."""
    stmt = (
        update(Execution)
        .where(
            Execution.id == execution_id,
            Execution.status != ExecutionStatus.finished.value,
            Execution.program_started_at.is_(None),
        )
        .values(
            status=ExecutionStatus.running.value,
            executor_id=executor_id,
            attempts=Execution.attempts + 1,
            started_at=started_at,
            queue_wait_us=func.coalesce(Execution.queue_wait_us, queue_wait_us),
        )
        .returning(Execution)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark_program_started(session: AsyncSession, execution_id: uuid.UUID) -> None:
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.program_started_at.is_(None))
        .values(program_started_at=func.now())
    )


async def save_outcome(
    session: AsyncSession,
    execution_id: uuid.UUID,
    *,
    verdict: str,
    message: str,
    version: str | None,
    phases: Sequence[PhaseOutcome],
) -> None:
    await session.execute(delete(ExecutionPhase).where(ExecutionPhase.execution_id == execution_id))
    rows = [
        {
            "execution_id": execution_id,
            "phase": outcome.phase.value,
            "verdict": outcome.verdict.value,
            "message": outcome.message,
            "exceeded": outcome.exceeded.value if outcome.exceeded else None,
            "exit_code": outcome.exit_code,
            "signal": outcome.signal,
            "stdout": outcome.stdout,
            "stderr": outcome.stderr,
            "stdout_truncated": outcome.stdout_truncated,
            "stderr_truncated": outcome.stderr_truncated,
            "cpu_time_us": outcome.cpu_time_us,
            "wall_time_us": outcome.wall_time_us,
            "memory_kb": outcome.memory_kb,
            "started_at": outcome.started_at,
            "finished_at": outcome.finished_at,
        }
        for outcome in phases
    ]
    if rows:
        await session.execute(insert(ExecutionPhase), rows)
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
        .values(
            status=ExecutionStatus.finished.value,
            verdict=verdict,
            message=message[:2000],
            version=func.coalesce(version, Execution.version),
            finished_at=func.now(),
        )
    )


async def requeue(session: AsyncSession, execution_id: uuid.UUID) -> None:
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
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
