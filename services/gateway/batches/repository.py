"""Where batches live: their membership in Redis (a batch is a list of execution ids, kept for
batch_ttl_s), and the SQL they need over their executions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Execution
from shared.redis_keys import batch as batch_key


@dataclass(frozen=True, slots=True)
class BatchRecord:
    id: uuid.UUID
    user_id: uuid.UUID | None
    execution_ids: list[uuid.UUID]
    created_at: datetime


async def save(redis: Redis, record: BatchRecord, ttl_s: int) -> None:
    value = {
        "user_id": str(record.user_id) if record.user_id else None,
        "execution_ids": [str(eid) for eid in record.execution_ids],
        "created_at": record.created_at.isoformat(),
    }
    await redis.set(batch_key(record.id), json.dumps(value), ex=ttl_s)


async def load(redis: Redis, batch_id: uuid.UUID) -> BatchRecord | None:
    raw = await redis.get(batch_key(batch_id))
    if raw is None:
        return None
    value = json.loads(raw)
    return BatchRecord(
        id=batch_id,
        user_id=uuid.UUID(value["user_id"]) if value["user_id"] else None,
        execution_ids=[uuid.UUID(eid) for eid in value["execution_ids"]],
        created_at=datetime.fromisoformat(value["created_at"]),
    )


async def unfinished(session: AsyncSession, ids: Sequence[uuid.UUID]) -> int:
    stmt = select(func.count()).select_from(Execution).where(Execution.id.in_(ids), Execution.status != "finished")
    return int((await session.execute(stmt)).scalar_one())
