"""Every SQL statement of webhook delivery (the job commits, not these functions)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Execution, ExecutionFile, ExecutionPhase, ExecutionTestResult, WebhookSecret
from shared.db.records import execution_record
from shared.executions import ExecutionRecord, ExecutionStatus
from shared.webhooks import WebhookStatus

executions = cast(Table, Execution.__table__)


async def load(session: AsyncSession, execution_id: uuid.UUID) -> tuple[Execution, ExecutionRecord] | None:
    execution = await session.get(Execution, execution_id, populate_existing=True)
    if execution is None:
        return None
    phases = await session.execute(
        select(ExecutionPhase).where(ExecutionPhase.execution_id == execution_id).order_by(ExecutionPhase.phase)
    )
    tests = await session.execute(
        select(ExecutionTestResult)
        .where(ExecutionTestResult.execution_id == execution_id)
        .order_by(ExecutionTestResult.index)
    )
    files: Sequence[ExecutionFile] = ()
    if execution.output_files:
        found = await session.execute(
            select(ExecutionFile).where(ExecutionFile.execution_id == execution_id).order_by(ExecutionFile.name)
        )
        files = found.scalars().all()
    return execution, execution_record(execution, phases.scalars().all(), tests.scalars().all(), files)


async def secret_of(session: AsyncSession, user_id: uuid.UUID, candidate: str) -> str:
    """The user's signing secret; ``candidate`` becomes it if there is none yet."""
    create = insert(WebhookSecret).values(user_id=user_id, secret=candidate)
    await session.execute(create.on_conflict_do_nothing(index_elements=["user_id"]))
    found = await session.execute(select(WebhookSecret.secret).where(WebhookSecret.user_id == user_id))
    return found.scalar_one()


async def record_attempt(
    session: AsyncSession,
    execution_id: uuid.UUID,
    *,
    status: WebhookStatus,
    attempts: int,
    status_code: int | None,
    error: str | None,
    delivered_at: datetime | None = None,
) -> None:
    await session.execute(
        update(executions)
        .where(executions.c.id == execution_id, executions.c.webhook_status == WebhookStatus.pending.value)
        .values(
            webhook_status=status.value,
            webhook_attempts=attempts,
            webhook_last_status_code=status_code,
            webhook_last_error=error[:500] if error else None,
            webhook_delivered_at=delivered_at,
        )
    )


async def stranded(session: AsyncSession, finished_before: datetime, limit: int = 500) -> Sequence[uuid.UUID]:
    """Finished executions whose webhook was never attempted (the executor died before enqueueing it)."""
    stmt = (
        select(executions.c.id)
        .where(
            executions.c.webhook_status == WebhookStatus.pending.value,
            executions.c.status == ExecutionStatus.finished.value,
            executions.c.finished_at < finished_before,
            executions.c.webhook_attempts == 0,
        )
        .order_by(executions.c.finished_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()
