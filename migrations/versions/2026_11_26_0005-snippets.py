"""snippets and revisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 23:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes make case-insensitive substring search on titles (ILIKE '%q%') indexable.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "snippets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("files", postgresql.JSONB(), nullable=False),
        sa.Column("visibility", sa.String(length=16), server_default="private", nullable=False),
        sa.Column("share_token", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("forked_from_id", sa.Uuid(), nullable=True),
        sa.Column("forked_from_revision", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("visibility IN ('private', 'unlisted', 'public')", name=op.f("ck_snippets_visibility")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_snippets_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["forked_from_id"], ["snippets.id"], name=op.f("fk_snippets_forked_from_id_snippets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snippets")),
        sa.UniqueConstraint("share_token", name=op.f("uq_snippets_share_token")),
    )
    op.create_index("ix_snippets_owner_created", "snippets", ["owner_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_snippets_public_created",
        "snippets",
        ["created_at", "id"],
        unique=False,
        postgresql_where=sa.text("visibility = 'public'"),
    )
    op.create_index(
        "ix_snippets_title_trgm",
        "snippets",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    # Forks of a deleted snippet are found through this when their link is cleared.
    op.create_index(op.f("ix_snippets_forked_from_id"), "snippets", ["forked_from_id"], unique=False)
    op.create_table(
        "snippet_revisions",
        sa.Column("snippet_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("files", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["snippet_id"], ["snippets.id"], name=op.f("fk_snippet_revisions_snippet_id_snippets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("snippet_id", "number", name=op.f("pk_snippet_revisions")),
    )
    op.add_column("executions", sa.Column("snippet_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_executions_snippet_id_snippets"), "executions", "snippets", ["snippet_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index(op.f("ix_executions_snippet_id"), "executions", ["snippet_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_executions_snippet_id"), table_name="executions")
    op.drop_constraint(op.f("fk_executions_snippet_id_snippets"), "executions", type_="foreignkey")
    op.drop_column("executions", "snippet_id")
    op.drop_table("snippet_revisions")
    op.drop_index(op.f("ix_snippets_forked_from_id"), table_name="snippets")
    op.drop_index("ix_snippets_title_trgm", table_name="snippets")
    op.drop_index("ix_snippets_public_created", table_name="snippets")
    op.drop_index("ix_snippets_owner_created", table_name="snippets")
    op.drop_table("snippets")
