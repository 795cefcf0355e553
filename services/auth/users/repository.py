"""Every SQL statement about users and their identities."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import Identity, User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def by_identity(session: AsyncSession, provider: str, subject: str) -> User | None:
    stmt = (
        select(User)
        .join(Identity, Identity.user_id == User.id)
        .where(Identity.provider == provider, Identity.subject == subject)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(func.lower(User.email) == email.lower()))).scalar_one_or_none()


async def by_phone(session: AsyncSession, phone: str) -> User | None:
    return (await session.execute(select(User).where(User.phone == phone))).scalar_one_or_none()


async def create(session: AsyncSession, *, email: str | None, phone: str | None, display_name: str | None) -> User:
    user = User(email=email, phone=phone, display_name=display_name)
    session.add(user)
    await session.flush()
    return user


async def add_identity(session: AsyncSession, user: User, provider: str, subject: str, email: str | None) -> None:
    session.add(Identity(user_id=user.id, provider=provider, subject=subject, email=email, last_used_at=func.now()))
    await session.flush()


async def touch_identity(session: AsyncSession, provider: str, subject: str) -> None:
    await session.execute(
        update(Identity)
        .where(Identity.provider == provider, Identity.subject == subject)
        .values(last_used_at=func.now())
    )
