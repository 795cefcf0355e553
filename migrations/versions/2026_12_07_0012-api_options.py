"""api options

Executions created through the Judge0 or Piston shapes of the API keep which one and the request
options that have no column of their own (services/gateway/compat). NULL: the native API.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("api_options", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("executions", "api_options")
