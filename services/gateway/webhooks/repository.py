"""Every SQL statement the webhooks feature runs in the gateway."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import WebhookSecret


async def get_or_create_secret(session: AsyncSession, user_id: uuid.UUID, candidate: str) -> WebhookSecret:
    """The user's secret; ``candidate`` becomes it if there is none yet (racing creators agree)."""
    create = insert(WebhookSecret).values(user_id=user_id, secret=candidate)
    await session.execute(create.on_conflict_do_nothing(index_elements=["user_id"]))
    stmt = select(WebhookSecret).where(WebhookSecret.user_id == user_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one()


async def replace_secret(session: AsyncSession, user_id: uuid.UUID, secret: str, now: datetime) -> WebhookSecret:
    stmt = (
        insert(WebhookSecret)
        .values(user_id=user_id, secret=secret, rotated_at=now)
        .on_conflict_do_update(index_elements=["user_id"], set_={"secret": secret, "rotated_at": now})
        .returning(WebhookSecret)
    )
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()
