from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.ids import new_id


class CollabParticipant(Base):
    """Someone admitted to a session: a signed-in user (named by the owner or through an invite)
    or an anonymous guest (user_id NULL, only when the session allows anonymous viewers)."""

    __tablename__ = "collab_participants"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'editor')", name="role"),
        # One row per signed-in user and session (NULLs, the guests, are distinct).
        UniqueConstraint("session_id", "user_id", name="uq_collab_participants_session_user"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collab_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invite_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collab_invites.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(64))
    # A palette colour picked by join order, shown with the participant's cursor.
    color: Mapped[str] = mapped_column(String(16))
    named_by_owner: Mapped[bool] = mapped_column(default=False, server_default="false")
    joined_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]
