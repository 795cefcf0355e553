from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.ids import new_id


class CollabInvite(Base):
    """A share link into a session with a role. Only the token's SHA-256 is stored: the token
    itself travels in the link's fragment and is shown to the owner once."""

    __tablename__ = "collab_invites"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'editor')", name="role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collab_sessions.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    uses: Mapped[int] = mapped_column(default=0, server_default="0")
    max_uses: Mapped[int | None]
