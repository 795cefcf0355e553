"""output order

Each phase and test case keeps the order its stdout and stderr bytes arrived in (runs of bytes,
shared.executions.RunRecord.output_order), so the output can be shown interleaved. NULL: not
recorded (only one stream had output, or the run predates this).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("execution_phases", "execution_test_results")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("output_order", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "output_order")
