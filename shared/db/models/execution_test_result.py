from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class ExecutionTestResult(Base):
    """One test case's result in a judged execution (its test_cases, by position).

    Output is kept as bytes, capped per case by the executor (judge_output_bytes).
    """

    __tablename__ = "execution_test_results"

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    # Position in the execution's test_cases (0-based).
    index: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
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
