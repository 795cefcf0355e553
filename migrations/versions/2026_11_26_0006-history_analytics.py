"""history and analytics indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 23:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # History pages a user's executions newest first by (created_at, id); the included columns let
    # its filters and the per-user analytics (counts by language / verdict / time) run as
    # index-only scans. It replaces the narrower (user_id, created_at) index.
    op.drop_index("ix_executions_user_created", table_name="executions")
    op.create_index(
        "ix_executions_user_created_id",
        "executions",
        ["user_id", "created_at", "id"],
        unique=False,
        postgresql_include=["language", "status", "verdict"],
    )
    # The same for everyone's executions (admins): time ranges and the global history.
    op.create_index(
        "ix_executions_created_id",
        "executions",
        ["created_at", "id"],
        unique=False,
        postgresql_include=["language", "status", "verdict"],
    )
    # Run-time and memory percentiles join each execution to its run phase; this keeps that join
    # off the phase rows (which carry the program's output).
    op.create_index(
        "ix_execution_phases_run",
        "execution_phases",
        ["execution_id"],
        unique=False,
        postgresql_include=["wall_time_us", "memory_kb"],
        postgresql_where=sa.text("phase = 'run'"),
    )


def downgrade() -> None:
    op.drop_index("ix_execution_phases_run", table_name="execution_phases")
    op.drop_index("ix_executions_created_id", table_name="executions")
    op.drop_index("ix_executions_user_created_id", table_name="executions")
    op.create_index("ix_executions_user_created", "executions", ["user_id", "created_at"], unique=False)
