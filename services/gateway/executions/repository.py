"""Every SQL statement the executions feature runs in the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import fast
from shared.db.models import Execution, ExecutionFile, ExecutionPhase, ExecutionTestResult
from shared.db.records import execution_record
from shared.executions import ExecutionRecord

_executions = cast(Table, Execution.__table__)
_INSERT = insert(_executions)


async def add(session: AsyncSession, *executions: Execution) -> None:
    """INSERT new executions in one Core statement (the ORM's unit of work costs about a
    millisecond a hello world feels); each object gets the defaults the ORM would have given it,
    its id first, so callers go on using it."""
    rows: list[dict[str, Any]] = []
    for execution in executions:
        row: dict[str, Any] = {}
        for column in _executions.columns:
            value = getattr(execution, column.key)
            if value is None and column.default is not None:
                default: Any = column.default
                value = default.arg(None) if default.is_callable else default.arg
                setattr(execution, column.key, value)
            if value is not None:
                row[column.key] = value
        rows.append(row)
    if len(rows) == 1:
        # The one INSERT of every submission: straight through asyncpg (shared/db/fast.py).
        await fast.insert(session, _executions, rows[0])
    else:
        # One executemany per set of columns: its parameter groups must all bind the same ones (a
        # batch mixing, say, a known and an unknown version would otherwise fail), and a column a
        # row leaves out keeps its server default rather than becoming NULL.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        for group in groups.values():
            await session.execute(_INSERT, group)


async def owner(session: AsyncSession, execution_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    """Whether the execution exists, and whose it is (None: anonymous), without loading the row."""
    row = (await session.execute(select(Execution.user_id).where(Execution.id == execution_id))).one_or_none()
    return (row is not None, row[0] if row is not None else None)


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


async def output_files(session: AsyncSession, execution_id: uuid.UUID) -> Sequence[ExecutionFile]:
    stmt = select(ExecutionFile).where(ExecutionFile.execution_id == execution_id).order_by(ExecutionFile.name)
    return (await session.execute(stmt)).scalars().all()


async def output_file(session: AsyncSession, execution_id: uuid.UUID, name: str) -> ExecutionFile | None:
    return await session.get(ExecutionFile, (execution_id, name))


async def status(session: AsyncSession, execution_id: uuid.UUID) -> str | None:
    return (await session.execute(select(Execution.status).where(Execution.id == execution_id))).scalar_one_or_none()


async def load_record(session: AsyncSession, execution_id: uuid.UUID) -> ExecutionRecord | None:
    execution = await get(session, execution_id)
    if execution is None:
        return None
    tests = await test_results(session, execution_id) if execution.test_cases else ()
    files = await output_files(session, execution_id) if execution.output_files else ()
    return execution_record(execution, await phases(session, execution_id), tests, files)
