from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class SnippetRevision(Base):
    """One save of a snippet: numbered 1..n per snippet, never changed afterwards."""

    __tablename__ = "snippet_revisions"

    snippet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("snippets.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(32))
    files: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
