from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class ExecutionFile(Base):
    """An output file of an execution's run phase (one of the paths its output_files asked for),
    as the sandbox's agent sent it back after a clean exit; bytes, capped in total by the
    executor's output_files_max_bytes."""

    __tablename__ = "execution_files"

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    # Relative to the run's working directory ("out.bin", "results/a.txt").
    name: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int]
    mode: Mapped[int]
    content: Mapped[bytes]
