"""judging and batches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 23:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- judging (test cases per execution) ---
    op.add_column("executions", sa.Column("test_cases", postgresql.JSONB(), nullable=True))
    op.add_column("executions", sa.Column("compare", sa.String(length=16), nullable=True))
    op.create_table(
        "execution_test_results",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("exceeded", sa.String(length=16), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("signal", sa.Integer(), nullable=True),
        sa.Column("stdout", postgresql.BYTEA(), server_default=sa.text("''::bytea"), nullable=False),
        sa.Column("stderr", postgresql.BYTEA(), server_default=sa.text("''::bytea"), nullable=False),
        sa.Column("stdout_truncated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("stderr_truncated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("cpu_time_us", sa.BigInteger(), nullable=True),
        sa.Column("wall_time_us", sa.BigInteger(), nullable=True),
        sa.Column("memory_kb", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_test_results_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", "index", name=op.f("pk_execution_test_results")),
    )
    # --- end judging ---


def downgrade() -> None:
    # --- judging (test cases per execution) ---
    op.drop_table("execution_test_results")
    op.drop_column("executions", "compare")
    op.drop_column("executions", "test_cases")
    # --- end judging ---
