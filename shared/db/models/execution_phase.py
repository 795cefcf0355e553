from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.models.run_columns import RunColumns


class ExecutionPhase(RunColumns, Base):
    """Result of one phase (compile or run). Output is kept as bytes: it may hold NUL or invalid UTF-8."""

    __tablename__ = "execution_phases"
    __table_args__ = (
        CheckConstraint("phase IN ('compile', 'run')", name="phase"),
        # (Analytics read the run phase's wall time and memory from the executions row: migration 0009.)
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
