"""code metrics

Each saved snippet revision's code metrics (lines, functions, cyclomatic complexity), written by
an executor's analysis lane after the save committed: one row per revision, gone with it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_metrics",
        sa.Column("snippet_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("code_lines", sa.Integer(), nullable=False),
        sa.Column("functions", sa.Integer(), nullable=True),
        sa.Column("ccn_max", sa.Integer(), nullable=True),
        sa.Column("ccn_avg", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_code_metrics_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["snippet_id", "revision"],
            ["snippet_revisions.snippet_id", "snippet_revisions.number"],
            name=op.f("fk_code_metrics_snippet_id_snippet_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snippet_id", "revision", name=op.f("pk_code_metrics")),
    )
    op.create_index("ix_code_metrics_owner_created", "code_metrics", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_code_metrics_owner_created", table_name="code_metrics")
    op.drop_table("code_metrics")
