"""Columns shared by the tables that store one run of a program: execution_phases and
execution_test_results (not a table itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column


class RunColumns:
    """Verdict, output (bytes: it may hold NUL or invalid UTF-8) and measurements of a run."""

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
    # RunRecord.output_order: how stdout and stderr interleaved (NULL: not recorded).
    output_order: Mapped[list[Any] | None]
