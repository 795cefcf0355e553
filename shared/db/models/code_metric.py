from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class CodeMetric(Base):
    """The code metrics of one saved snippet revision (lizard, run by an executor's analysis lane
    once the save committed): one row per revision, never changed afterwards.

    `created_at` is when the revision was saved (not when the row was written, seconds later), so
    the analytics put a revision's metrics in the bucket it was saved in."""

    __tablename__ = "code_metrics"
    __table_args__ = (
        ForeignKeyConstraint(
            ["snippet_id", "revision"],
            ["snippet_revisions.snippet_id", "snippet_revisions.number"],
            ondelete="CASCADE",
        ),
        # The owner's analytics over a time window (GET /v1/analytics/code-metrics).
        Index("ix_code_metrics_owner_created", "owner_id", "created_at"),
    )

    snippet_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(32))
    lines: Mapped[int]
    code_lines: Mapped[int]
    # Null where lizard read none of the files (a language it does not know): line counts only.
    functions: Mapped[int | None]
    ccn_max: Mapped[int | None]
    ccn_avg: Mapped[float | None]
    created_at: Mapped[datetime]
