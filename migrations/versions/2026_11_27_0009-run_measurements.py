"""run measurements on executions

Analytics' run-time and memory percentiles read the run phase's wall time and peak memory. Kept
on the execution row and in its covering indexes, they need no join to execution_phases: global
percentiles were a hash join over every phase row (1-2 s over a million executions).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 04:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BASE_INCLUDE = ["language", "status", "verdict"]
_RUN_INCLUDE = [*_BASE_INCLUDE, "run_wall_time_us", "run_memory_kb"]


def _covering_indexes(include: list[str]) -> None:
    op.create_index(
        "ix_executions_user_created_id",
        "executions",
        ["user_id", "created_at", "id"],
        unique=False,
        postgresql_include=include,
    )
    op.create_index(
        "ix_executions_created_id", "executions", ["created_at", "id"], unique=False, postgresql_include=include
    )


def upgrade() -> None:
    op.add_column("executions", sa.Column("run_wall_time_us", sa.BigInteger(), nullable=True))
    op.add_column("executions", sa.Column("run_memory_kb", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE executions AS e SET run_wall_time_us = p.wall_time_us, run_memory_kb = p.memory_kb "
        "FROM execution_phases AS p WHERE p.execution_id = e.id AND p.phase = 'run'"
    )
    op.drop_index("ix_executions_user_created_id", table_name="executions")
    op.drop_index("ix_executions_created_id", table_name="executions")
    _covering_indexes(_RUN_INCLUDE)
    op.drop_index("ix_execution_phases_run", table_name="execution_phases")


def downgrade() -> None:
    op.create_index(
        "ix_execution_phases_run",
        "execution_phases",
        ["execution_id"],
        unique=False,
        postgresql_include=["wall_time_us", "memory_kb"],
        postgresql_where=sa.text("phase = 'run'"),
    )
    op.drop_index("ix_executions_created_id", table_name="executions")
    op.drop_index("ix_executions_user_created_id", table_name="executions")
    _covering_indexes(_BASE_INCLUDE)
    op.drop_column("executions", "run_memory_kb")
    op.drop_column("executions", "run_wall_time_us")
