"""Every SQL statement of the collaborative sessions feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import CollabInvite, CollabParticipant, CollabSession, User


def add(session: AsyncSession, row: CollabInvite | CollabParticipant) -> None:
    session.add(row)


async def add_session(session: AsyncSession, row: CollabSession) -> None:
    session.add(row)
    # Inserted now: without ORM relationships the flush does not order it before its participants.
    await session.flush()


async def get(session: AsyncSession, session_id: uuid.UUID, *, for_update: bool = False) -> CollabSession | None:
    stmt = select(CollabSession).where(CollabSession.id == session_id)
    if for_update:
        # Joins and namings queue up here, so the participant cap and join order hold. NO KEY: the
        # foreign keys of rows being added (participants, invites) still only need KEY SHARE.
        stmt = stmt.with_for_update(key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_for_snippet(session: AsyncSession, snippet_id: uuid.UUID) -> CollabSession | None:
    stmt = select(CollabSession).where(CollabSession.snippet_id == snippet_id, CollabSession.status == "active")
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_count(session: AsyncSession, owner_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(CollabSession.owner_id == owner_id, CollabSession.status == "active")
    return int((await session.execute(stmt)).scalar_one())


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user, locked until the transaction ends: an owner's session starts queue up here, so two
    at once cannot both pass the per-owner cap."""
    stmt = select(User).where(User.id == user_id).with_for_update(key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def participants(session: AsyncSession, session_id: uuid.UUID) -> Sequence[CollabParticipant]:
    stmt = (
        select(CollabParticipant)
        .where(CollabParticipant.session_id == session_id)
        .order_by(CollabParticipant.joined_at, CollabParticipant.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def participant(session: AsyncSession, participant_id: uuid.UUID) -> CollabParticipant | None:
    return await session.get(CollabParticipant, participant_id)


async def participant_of_user(
    session: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID
) -> CollabParticipant | None:
    stmt = select(CollabParticipant).where(
        CollabParticipant.session_id == session_id, CollabParticipant.user_id == user_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def participant_counts(session: AsyncSession, session_id: uuid.UUID) -> tuple[int, int, int]:
    """(rows ever, rows not revoked, guest rows ever) of a session."""
    stmt = select(
        func.count(),
        func.count().filter(CollabParticipant.revoked_at.is_(None)),
        func.count().filter(CollabParticipant.user_id.is_(None)),
    ).where(CollabParticipant.session_id == session_id)
    total, live, guests = (await session.execute(stmt)).one()
    return int(total), int(live), int(guests)


async def invites(session: AsyncSession, session_id: uuid.UUID) -> Sequence[CollabInvite]:
    stmt = (
        select(CollabInvite)
        .where(CollabInvite.session_id == session_id)
        .order_by(CollabInvite.created_at, CollabInvite.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def invite(session: AsyncSession, invite_id: uuid.UUID) -> CollabInvite | None:
    return await session.get(CollabInvite, invite_id)


async def invite_by_digest(session: AsyncSession, digest: str) -> CollabInvite | None:
    stmt = select(CollabInvite).where(CollabInvite.token_sha256 == digest)
    return (await session.execute(stmt)).scalar_one_or_none()


async def spend_invite(session: AsyncSession, invite_id: uuid.UUID) -> bool:
    """Count one use of a usable invite, in one statement: two joins racing for its last use cannot
    both get it. False when the invite is revoked, expired or used up."""
    stmt = (
        update(CollabInvite)
        .where(
            CollabInvite.id == invite_id,
            CollabInvite.revoked_at.is_(None),
            or_(CollabInvite.expires_at.is_(None), CollabInvite.expires_at > func.now()),
            or_(CollabInvite.max_uses.is_(None), CollabInvite.uses < CollabInvite.max_uses),
        )
        .values(uses=CollabInvite.uses + 1)
        .returning(CollabInvite.uses)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
