from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.models.run_columns import RunColumns


class ExecutionTestResult(RunColumns, Base):
    """One test case's result in a judged execution (its test_cases, by position).

    Output is kept as bytes, capped per case by the executor (judge_output_bytes).
    """

    __tablename__ = "execution_test_results"

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True)
    # Position in the execution's test_cases (0-based).
    index: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
