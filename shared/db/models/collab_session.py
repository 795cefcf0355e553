from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.ids import new_id


class CollabSession(Base):
    """A live editing session on one snippet, started by its owner (issue 18).

    The document itself lives in collab_documents (snapshot) and Redis (the tail of updates); this
    row holds who owns it, whether it is still open, and what it was saved as.
    """

    __tablename__ = "collab_sessions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        # A snippet has at most one open session: starting another returns the open one.
        Index(
            "ix_collab_sessions_one_active",
            "snippet_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        # The owner's open sessions (the per-owner cap) and the idle sweep.
        Index("ix_collab_sessions_owner_status", "owner_id", "status"),
        Index("ix_collab_sessions_active_activity", "last_activity_at", postgresql_where=text("status = 'active'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    snippet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("snippets.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    # The snippet revision the document started from, and the last one a save produced.
    base_revision: Mapped[int]
    last_saved_revision: Mapped[int | None]
    allow_anonymous: Mapped[bool] = mapped_column(default=False, server_default="false")
    max_participants: Mapped[int] = mapped_column(default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ended_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(server_default=func.now())
