"""Every SQL statement the executions feature runs in the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Execution, ExecutionPhase, ExecutionTestResult
from shared.db.records import execution_record
from shared.executions import ExecutionRecord


def add(session: AsyncSession, execution: Execution) -> Execution:
    session.add(execution)
    return execution


async def get(session: AsyncSession, execution_id: uuid.UUID) -> Execution | None:
    return await session.get(Execution, execution_id, populate_existing=True)


async def phases(session: AsyncSession, execution_id: uuid.UUID) -> Sequence[ExecutionPhase]:
    stmt = select(ExecutionPhase).where(ExecutionPhase.execution_id == execution_id).order_by(ExecutionPhase.phase)
    return (await session.execute(stmt)).scalars().all()


async def test_results(session: AsyncSession, execution_id: uuid.UUID) -> Sequence[ExecutionTestResult]:
    stmt = (
        select(ExecutionTestResult)
        .where(ExecutionTestResult.execution_id == execution_id)
        .order_by(ExecutionTestResult.index)
    )
    return (await session.execute(stmt)).scalars().all()


async def status(session: AsyncSession, execution_id: uuid.UUID) -> str | None:
    return (await session.execute(select(Execution.status).where(Execution.id == execution_id))).scalar_one_or_none()


async def load_record(session: AsyncSession, execution_id: uuid.UUID) -> ExecutionRecord | None:
    execution = await get(session, execution_id)
    if execution is None:
        return None
    tests = await test_results(session, execution_id) if execution.test_cases else ()
    return execution_record(execution, await phases(session, execution_id), tests)
