"""webhooks and idempotency

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 23:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Webhooks: a callback URL per execution and its delivery state; a signing secret per user.
    op.add_column("executions", sa.Column("webhook_url", sa.String(length=2048), nullable=True))
    op.add_column("executions", sa.Column("webhook_status", sa.String(length=16), nullable=True))
    op.add_column("executions", sa.Column("webhook_attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("executions", sa.Column("webhook_last_status_code", sa.Integer(), nullable=True))
    op.add_column("executions", sa.Column("webhook_last_error", sa.String(length=500), nullable=True))
    op.add_column("executions", sa.Column("webhook_delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_executions_webhook_status"),
        "executions",
        "webhook_status IN ('pending', 'delivered', 'failed', 'refused')",
    )
    op.create_index(
        "ix_executions_webhook_pending",
        "executions",
        ["finished_at"],
        unique=False,
        postgresql_where=sa.text("webhook_status = 'pending'"),
    )
    op.create_table(
        "webhook_secrets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_webhook_secrets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_webhook_secrets")),
    )


def downgrade() -> None:
    op.drop_table("webhook_secrets")
    op.drop_index("ix_executions_webhook_pending", table_name="executions")
    op.drop_constraint(op.f("ck_executions_webhook_status"), "executions", type_="check")
    for column in (
        "webhook_delivered_at",
        "webhook_last_error",
        "webhook_last_status_code",
        "webhook_attempts",
        "webhook_status",
        "webhook_url",
    ):
        op.drop_column("executions", column)
