"""The gateway's reads of credentials: API keys (looked up by hash on every use, so a revoked key
stops working at once) and their owners."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import ApiKey, User


async def api_key_with_owner(session: AsyncSession, key_hash: bytes) -> tuple[ApiKey, User] | None:
    stmt = select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == key_hash)
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=func.now()))
