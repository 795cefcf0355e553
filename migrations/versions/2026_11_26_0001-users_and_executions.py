"""users and executions

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:12:25.411895+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=16), server_default="user", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
    )
    op.create_table(
        "executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("files", postgresql.JSONB(), nullable=False),
        sa.Column(
            "stdin",
            postgresql.BYTEA(),
            server_default=sa.text("''::bytea"),
            nullable=False,
        ),
        sa.Column(
            "args",
            postgresql.JSONB(),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("limits", postgresql.JSONB(), nullable=False),
        sa.Column("compile_limits", postgresql.JSONB(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("executor_id", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("program_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'finished')",
            name=op.f("ck_executions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_executions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    op.create_index(
        "ix_executions_unfinished",
        "executions",
        ["status", "created_at"],
        unique=False,
        postgresql_where=sa.text("status <> 'finished'"),
    )
    op.create_index(
        "ix_executions_user_created",
        "executions",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "execution_phases",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("exceeded", sa.String(length=16), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("signal", sa.Integer(), nullable=True),
        sa.Column(
            "stdout",
            postgresql.BYTEA(),
            server_default=sa.text("''::bytea"),
            nullable=False,
        ),
        sa.Column(
            "stderr",
            postgresql.BYTEA(),
            server_default=sa.text("''::bytea"),
            nullable=False,
        ),
        sa.Column("stdout_truncated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("stderr_truncated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("cpu_time_us", sa.BigInteger(), nullable=True),
        sa.Column("wall_time_us", sa.BigInteger(), nullable=True),
        sa.Column("memory_kb", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("phase IN ('compile', 'run')", name=op.f("ck_execution_phases_phase")),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_phases_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", "phase", name=op.f("pk_execution_phases")),
    )


def downgrade() -> None:
    op.drop_table("execution_phases")
    op.drop_index("ix_executions_user_created", table_name="executions")
    op.drop_index(
        "ix_executions_unfinished",
        table_name="executions",
        postgresql_where=sa.text("status <> 'finished'"),
    )
    op.drop_table("executions")
    op.drop_table("users")
