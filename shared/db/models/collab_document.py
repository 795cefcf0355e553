from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class CollabDocument(Base):
    """The durable copy of a session's CRDT document: a Yjs update holding the whole state as of
    ``covered_id``, the last entry of the session's Redis update log folded into it. Redis keeps
    only the tail after that entry."""

    __tablename__ = "collab_documents"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collab_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    snapshot: Mapped[bytes]
    covered_id: Mapped[str] = mapped_column(String(64), default="0-0", server_default="0-0")
    size_bytes: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
