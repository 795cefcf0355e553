"""Every SQL statement of the history feature."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, RowMapping, Select, literal, null, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from shared.db.models import Execution, ExecutionFile, ExecutionPhase, ExecutionTestResult


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    # None: everyone's executions (admins).
    user_id: uuid.UUID | None
    language: str | None
    status: str | None
    verdict: str | None
    created_after: datetime | None
    created_before: datetime | None
    # Keyset position: rows strictly after (older than) this (created_at, id).
    after: tuple[datetime, uuid.UUID] | None
    limit: int


# Columns a page never shows (the submission itself); execution_record does not read them.
_UNSHOWN = (Execution.files, Execution.stdin, Execution.args, Execution.compile_options)


_KEYSET_TYPES = (Execution.created_at.type, Execution.id.type)


def page_stmt(query: HistoryQuery) -> Select[Execution]:
    """Newest first; one row more than the limit, so the caller knows whether another page follows.

    Served by ix_executions_user_created_id (or ix_executions_created_id for everyone's), scanned
    backwards: the keyset condition and the filters are checked on the index entries."""
    stmt = select(Execution).options(*(defer(column, raiseload=True) for column in _UNSHOWN))
    if query.user_id is not None:
        stmt = stmt.where(Execution.user_id == query.user_id)
    if query.language is not None:
        stmt = stmt.where(Execution.language == query.language)
    if query.status is not None:
        stmt = stmt.where(Execution.status == query.status)
    if query.verdict is not None:
        stmt = stmt.where(Execution.verdict == query.verdict)
    if query.created_after is not None:
        stmt = stmt.where(Execution.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(Execution.created_at < query.created_before)
    if query.after is not None:
        stmt = stmt.where(tuple_(Execution.created_at, Execution.id) < tuple_(*query.after, types=_KEYSET_TYPES))
    return stmt.order_by(Execution.created_at.desc(), Execution.id.desc()).limit(query.limit + 1)


async def page(session: AsyncSession, query: HistoryQuery) -> Sequence[Execution]:
    return (await session.execute(page_stmt(query))).scalars().all()


# What a summary page reads instead of a run's output: it skips the bytes (and their order).
_NO_OUTPUT = {"stdout": literal(b"", LargeBinary), "stderr": literal(b"", LargeBinary), "output_order": null()}


def _columns(table: Any, with_output: bool) -> Select[Any]:
    return select(
        *(
            column if with_output or column.name not in _NO_OUTPUT else _NO_OUTPUT[column.name].label(column.name)
            for column in table.__table__.c
        )
    )


async def phases(
    session: AsyncSession, execution_ids: Iterable[uuid.UUID], *, with_output: bool
) -> Sequence[RowMapping]:
    stmt = (
        _columns(ExecutionPhase, with_output)
        .where(ExecutionPhase.execution_id.in_(list(execution_ids)))
        .order_by(ExecutionPhase.execution_id, ExecutionPhase.phase)
    )
    rows: Sequence[RowMapping] = (await session.execute(stmt)).mappings().all()
    return rows


async def test_results(
    session: AsyncSession, execution_ids: Iterable[uuid.UUID], *, with_output: bool
) -> Sequence[RowMapping]:
    stmt = (
        _columns(ExecutionTestResult, with_output)
        .where(ExecutionTestResult.execution_id.in_(list(execution_ids)))
        .order_by(ExecutionTestResult.execution_id, ExecutionTestResult.index)
    )
    rows: Sequence[RowMapping] = (await session.execute(stmt)).mappings().all()
    return rows


async def output_files(session: AsyncSession, execution_ids: Iterable[uuid.UUID]) -> Sequence[RowMapping]:
    """Names and sizes of output files; a page never carries their bytes (up to the cap each)."""
    stmt = (
        select(
            ExecutionFile.execution_id,
            ExecutionFile.name,
            ExecutionFile.size,
            ExecutionFile.mode,
            literal(b"", LargeBinary).label("content"),
        )
        .where(ExecutionFile.execution_id.in_(list(execution_ids)))
        .order_by(ExecutionFile.execution_id, ExecutionFile.name)
    )
    rows: Sequence[RowMapping] = (await session.execute(stmt)).mappings().all()
    return rows
