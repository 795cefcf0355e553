from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class ExecutionPhase(Base):
    """Result of one phase (compile or run). Output is kept as bytes: it may hold NUL or invalid UTF-8."""

    __tablename__ = "execution_phases"
    __table_args__ = (
        CheckConstraint("phase IN ('compile', 'run')", name="phase"),
        # (Analytics read the run phase's wall time and memory from the executions row: migration 0009.)
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(2000))
    exceeded: Mapped[str | None] = mapped_column(String(16))
    exit_code: Mapped[int | None]
    signal: Mapped[int | None]
    stdout: Mapped[bytes] = mapped_column(default=b"", server_default=text("''::bytea"))
    stderr: Mapped[bytes] = mapped_column(default=b"", server_default=text("''::bytea"))
    stdout_truncated: Mapped[bool] = mapped_column(default=False, server_default="false")
    stderr_truncated: Mapped[bool] = mapped_column(default=False, server_default="false")
    cpu_time_us: Mapped[int | None] = mapped_column(BigInteger)
    wall_time_us: Mapped[int | None] = mapped_column(BigInteger)
    memory_kb: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
