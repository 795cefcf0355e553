"""Executions written straight into the database, with the exact languages, verdicts, times and
measurements a history or analytics test wants to count. Every row is finished (unfinished rows
would be picked up by the executor's recovery) and is deleted again when the block ends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import Execution, ExecutionPhase
from shared.ids import new_id

LIMITS = {
    "wall_time_ms": 10_000,
    "cpu_time_ms": 5_000,
    "memory_mb": 256,
    "processes": 128,
    "output_bytes": 262_144,
    "file_size_kb": 131_072,
}


@dataclass(frozen=True)
class Row:
    user_id: str | None
    language: str
    verdict: str
    created_at: datetime
    # The run phase's measurements; no run phase when None (e.g. a compilation error).
    wall_time_us: int | None = 10_000
    memory_kb: int | None = 8_000
    stdout: bytes = b"out\n"


InsertRows = Callable[[list[Row]], Awaitable[list[uuid.UUID]]]


@asynccontextmanager
async def inserted_rows(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[InsertRows]:
    created: list[uuid.UUID] = []

    async def insert(rows: list[Row]) -> list[uuid.UUID]:
        ids = []
        async with sessions() as session:
            for row in rows:
                execution = Execution(
                    id=new_id(),
                    user_id=uuid.UUID(row.user_id) if row.user_id else None,
                    language=row.language,
                    version="1.0",
                    status="finished",
                    verdict=row.verdict,
                    files=[{"name": "main", "content": ""}],
                    limits=LIMITS,
                    created_at=row.created_at,
                    started_at=row.created_at,
                    finished_at=row.created_at,
                    run_wall_time_us=row.wall_time_us,
                    run_memory_kb=row.memory_kb,
                )
                session.add(execution)
                if row.wall_time_us is not None or row.memory_kb is not None:
                    session.add(
                        ExecutionPhase(
                            execution_id=execution.id,
                            phase="run",
                            verdict="ok" if row.verdict in ("ok", "accepted", "wrong_answer") else row.verdict,
                            exit_code=0,
                            stdout=row.stdout,
                            stderr=b"",
                            wall_time_us=row.wall_time_us,
                            cpu_time_us=row.wall_time_us,
                            memory_kb=row.memory_kb,
                        )
                    )
                ids.append(execution.id)
            await session.commit()
        created.extend(ids)
        return ids

    try:
        yield insert
    finally:
        async with sessions() as session:
            await session.execute(delete(Execution).where(Execution.id.in_(created)))
            await session.commit()
