"""Every SQL statement of the rate-limit feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Execution


async def statuses(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Status of each of these executions that exists (by primary key: a handful of index probes)."""
    rows = await session.execute(select(Execution.id, Execution.status).where(Execution.id.in_(ids)))
    return {eid: status for eid, status in rows}
