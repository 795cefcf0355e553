"""language variants

A language has several versions side by side (Python 3.13, 3.11 and PyPy); an execution keeps
which one it was submitted for, so a retry runs the same one. NULL: the language's default.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("variant", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("executions", "variant")
