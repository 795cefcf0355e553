"""collaborative sessions

A snippet's owner opens a live session on it (collab_sessions); share links carry a role
(collab_invites, token hashes only); whoever joined is a participant (collab_participants); the
CRDT document's durable snapshot is collab_documents. A session's shared runs are executions with
collab_session_id set.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "collab_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("snippet_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("last_saved_revision", sa.Integer(), nullable=True),
        sa.Column("allow_anonymous", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("max_participants", sa.Integer(), server_default="10", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("status IN ('active', 'ended')", name=op.f("ck_collab_sessions_status")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_collab_sessions_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["snippet_id"], ["snippets.id"], name=op.f("fk_collab_sessions_snippet_id_snippets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_sessions")),
    )
    op.create_index(
        "ix_collab_sessions_one_active",
        "collab_sessions",
        ["snippet_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("ix_collab_sessions_owner_status", "collab_sessions", ["owner_id", "status"])
    op.create_index(
        "ix_collab_sessions_active_activity",
        "collab_sessions",
        ["last_activity_at"],
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "collab_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('viewer', 'editor')", name=op.f("ck_collab_invites_role")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["collab_sessions.id"],
            name=op.f("fk_collab_invites_session_id_collab_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_invites")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_collab_invites_token_sha256")),
    )
    op.create_index(op.f("ix_collab_invites_session_id"), "collab_invites", ["session_id"])

    op.create_table(
        "collab_participants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("invite_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("named_by_owner", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('viewer', 'editor')", name=op.f("ck_collab_participants_role")),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["collab_invites.id"],
            name=op.f("fk_collab_participants_invite_id_collab_invites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["collab_sessions.id"],
            name=op.f("fk_collab_participants_session_id_collab_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_collab_participants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_participants")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_collab_participants_session_user"),
    )
    op.create_index(op.f("ix_collab_participants_session_id"), "collab_participants", ["session_id"])

    op.create_table(
        "collab_documents",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("snapshot", postgresql.BYTEA(), nullable=False),
        sa.Column("covered_id", sa.String(length=64), server_default="0-0", nullable=False),
        sa.Column("size_bytes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["collab_sessions.id"],
            name=op.f("fk_collab_documents_session_id_collab_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_collab_documents")),
    )

    op.add_column("executions", sa.Column("collab_session_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_executions_collab_session_id_collab_sessions"),
        "executions",
        "collab_sessions",
        ["collab_session_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_executions_collab_session_id"), "executions", ["collab_session_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_executions_collab_session_id"), table_name="executions")
    op.drop_constraint(op.f("fk_executions_collab_session_id_collab_sessions"), "executions", type_="foreignkey")
    op.drop_column("executions", "collab_session_id")
    op.drop_table("collab_documents")
    op.drop_table("collab_participants")
    op.drop_table("collab_invites")
    op.drop_table("collab_sessions")
