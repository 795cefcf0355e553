"""interactive executions and queue wait

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("interactive", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("executions", sa.Column("queue_wait_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("executions", "queue_wait_us")
    op.drop_column("executions", "interactive")
