"""Every SQL statement about signing keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import SigningKey


async def usable(session: AsyncSession, retired_after: datetime) -> Sequence[SigningKey]:
    """Active keys, and retired ones whose tokens may still be valid; newest first."""
    stmt = (
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
        .order_by(SigningKey.created_at.desc())
    )
    return (await session.execute(stmt)).scalars().all()


async def add(
    session: AsyncSession, kid: str, algorithm: str, public_jwk: dict[str, Any], private_encrypted: str
) -> None:
    session.add(
        SigningKey(kid=kid, algorithm=algorithm, public_jwk=public_jwk, private_jwk_encrypted=private_encrypted)
    )
    await session.flush()


async def retire_all_except(session: AsyncSession, kid: str, at: datetime) -> None:
    await session.execute(
        update(SigningKey).where(SigningKey.kid != kid, SigningKey.retired_at.is_(None)).values(retired_at=at)
    )
