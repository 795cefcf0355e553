from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.ids import new_id


class Snippet(Base):
    """A saved program: its current content, who owns it and who may see it.

    Every save is also kept as a row of snippet_revisions; `revision` is the latest one's number.
    """

    __tablename__ = "snippets"
    __table_args__ = (
        CheckConstraint("visibility IN ('private', 'unlisted', 'public')", name="visibility"),
        # "My snippets", newest first, keyset-paginated on (created_at, id).
        Index("ix_snippets_owner_created", "owner_id", "created_at", "id"),
        # The public listing only ever scans public rows.
        Index("ix_snippets_public_created", "created_at", "id", postgresql_where=text("visibility = 'public'")),
        # Case-insensitive substring search on titles (ILIKE '%q%') through trigrams.
        Index("ix_snippets_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    language: Mapped[str] = mapped_column(String(32))
    files: Mapped[list[Any]]
    visibility: Mapped[str] = mapped_column(String(16), default="private", server_default="private")
    # The unguessable part of the share link (unlisted and public snippets).
    share_token: Mapped[str] = mapped_column(String(64), unique=True)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    forked_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("snippets.id", ondelete="SET NULL"), index=True)
    forked_from_revision: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
