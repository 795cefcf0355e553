"""The SQL the Judge0 shape runs beyond the executions feature's own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.executions import repository as executions
from shared.db.models import Execution
from shared.db.records import execution_record
from shared.executions import ExecutionRecord


async def load(session: AsyncSession, execution_id: uuid.UUID) -> tuple[Execution, ExecutionRecord] | None:
    """The row (the request's inputs) and the record (its results)."""
    execution = await executions.get(session, execution_id)
    if execution is None:
        return None
    tests = await executions.test_results(session, execution_id) if execution.test_cases else ()
    return execution, execution_record(execution, await executions.phases(session, execution_id), tests)


async def page_of(session: AsyncSession, user_id: uuid.UUID, page: int, per_page: int) -> Sequence[uuid.UUID]:
    """One page of an account's executions, newest first (Judge0's default scope)."""
    stmt = (
        select(Execution.id)
        .where(Execution.user_id == user_id)
        .order_by(Execution.created_at.desc(), Execution.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return (await session.execute(stmt)).scalars().all()


async def count_of(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(Execution).where(Execution.user_id == user_id)
    return int((await session.execute(stmt)).scalar_one())
