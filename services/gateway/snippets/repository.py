"""Every SQL statement of the snippets feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from shared.db.models import CodeMetric, Snippet, SnippetRevision


@dataclass(frozen=True, slots=True)
class PageQuery:
    q: str | None
    language: str | None
    visibility: str | None
    # Keyset position: rows strictly after (older than) this (created_at, id).
    after: tuple[datetime, uuid.UUID] | None
    limit: int


def add(session: AsyncSession, snippet: Snippet, revision: SnippetRevision) -> None:
    session.add(snippet)
    session.add(revision)


def add_revision(session: AsyncSession, revision: SnippetRevision) -> None:
    session.add(revision)


async def get(
    session: AsyncSession, snippet_id: uuid.UUID, *, for_update: bool = False, key_share: bool = False
) -> Snippet | None:
    stmt = select(Snippet).where(Snippet.id == snippet_id)
    if for_update:
        # Concurrent saves queue up here, so each gets the next revision number.
        stmt = stmt.with_for_update()
    elif key_share:
        # Rows about to reference this one (a fork, an execution): it cannot be deleted meanwhile.
        stmt = stmt.with_for_update(read=True, key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_share_token(session: AsyncSession, token: str, *, key_share: bool = False) -> Snippet | None:
    stmt = select(Snippet).where(Snippet.share_token == token)
    if key_share:
        stmt = stmt.with_for_update(read=True, key_share=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def remove(session: AsyncSession, snippet_id: uuid.UUID) -> None:
    await session.execute(delete(Snippet).where(Snippet.id == snippet_id))


async def revisions(session: AsyncSession, snippet_id: uuid.UUID) -> Sequence[SnippetRevision]:
    stmt = (
        select(SnippetRevision)
        .options(defer(SnippetRevision.files, raiseload=True), defer(SnippetRevision.description, raiseload=True))
        .where(SnippetRevision.snippet_id == snippet_id)
        .order_by(SnippetRevision.number)
    )
    return (await session.execute(stmt)).scalars().all()


async def revision(session: AsyncSession, snippet_id: uuid.UUID, number: int) -> SnippetRevision | None:
    return await session.get(SnippetRevision, (snippet_id, number))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def page(session: AsyncSession, query: PageQuery, *, owner_id: uuid.UUID | None) -> Sequence[Snippet]:
    """Newest first; one row more than the limit, so the caller knows whether another page follows.
    ``owner_id`` None lists public snippets of everyone."""
    stmt = select(Snippet).options(defer(Snippet.files, raiseload=True))
    if owner_id is not None:
        stmt = stmt.where(Snippet.owner_id == owner_id)
        if query.visibility is not None:
            stmt = stmt.where(Snippet.visibility == query.visibility)
    else:
        stmt = stmt.where(Snippet.visibility == "public")
    if query.q:
        stmt = stmt.where(Snippet.title.ilike(f"%{_escape_like(query.q)}%", escape="\\"))
    if query.language:
        stmt = stmt.where(Snippet.language == query.language)
    if query.after is not None:
        stmt = stmt.where(tuple_(Snippet.created_at, Snippet.id) < tuple_(*query.after))
    stmt = stmt.order_by(Snippet.created_at.desc(), Snippet.id.desc()).limit(query.limit + 1)
    return (await session.execute(stmt)).scalars().all()


async def current_metrics(session: AsyncSession, snippets: Sequence[Snippet]) -> dict[uuid.UUID, CodeMetric]:
    """Each snippet's metrics of its current revision, where computed (primary-key lookups)."""
    if not snippets:
        return {}
    wanted = [(snippet.id, snippet.revision) for snippet in snippets]
    stmt = select(CodeMetric).where(tuple_(CodeMetric.snippet_id, CodeMetric.revision).in_(wanted))
    return {row.snippet_id: row for row in (await session.execute(stmt)).scalars()}
