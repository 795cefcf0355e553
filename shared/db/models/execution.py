from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.ids import new_id

_COVERED = ["language", "status", "verdict", "run_wall_time_us", "run_memory_kb"]


class Execution(Base):
    """One submission: its input, effective limits, lifecycle and overall verdict.

    Per-phase results (compile, run) live in execution_phases.
    """

    __tablename__ = "executions"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'finished')", name="status"),
        # History and analytics (migrations 0006, 0009): keyset pages by (created_at, id), per user
        # and for everyone; the included columns serve filters, counts and the run percentiles as
        # index-only scans.
        Index("ix_executions_user_created_id", "user_id", "created_at", "id", postgresql_include=_COVERED),
        Index("ix_executions_created_id", "created_at", "id", postgresql_include=_COVERED),
        # Recovery scans only look at unfinished rows.
        Index(
            "ix_executions_unfinished",
            "status",
            "created_at",
            postgresql_where=text("status <> 'finished'"),
        ),
        CheckConstraint("webhook_status IN ('pending', 'delivered', 'failed', 'refused')", name="webhook_status"),
        # Finished executions whose webhook was never sent (an executor died before enqueueing it).
        Index(
            "ix_executions_webhook_pending",
            "finished_at",
            postgresql_where=text("webhook_status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(64))
    # The language version it was submitted for ("3.11", "pypy"); NULL: the language's default.
    variant: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    verdict: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(2000))
    files: Mapped[list[Any]]
    stdin: Mapped[bytes] = mapped_column(default=b"", server_default=text("''::bytea"))
    args: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    compile_options: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    limits: Mapped[dict[str, Any]]
    compile_limits: Mapped[dict[str, Any] | None]
    # Stdin comes from a WebSocket while the program runs (crh:exec:<id>:input).
    interactive: Mapped[bool] = mapped_column(default=False, server_default="false")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # From enqueue to the executor starting it: the dispatch latency.
    queue_wait_us: Mapped[int | None] = mapped_column(BigInteger)
    executor_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    # Set when user code (a compiler or the program) first started: a retry is unsafe after it.
    program_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The snippet this execution ran (POST /v1/snippets/{id}/run), if any.
    snippet_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("snippets.id", ondelete="SET NULL"), index=True)
    # A collaborative session's shared run: every participant of that session may stream it.
    collab_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("collab_sessions.id", ondelete="SET NULL"), index=True
    )
    # Judging: [{stdin, expected_stdout, name}] (null: not judged) and how stdout is compared
    # (exact | whitespace); per-case results live in execution_test_results.
    test_cases: Mapped[list[Any] | None]
    compare: Mapped[str | None] = mapped_column(String(16))
    # Webhook (POSTed on completion, see shared/webhooks.py): the callback URL and its delivery state.
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    webhook_status: Mapped[str | None] = mapped_column(String(16))
    webhook_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    webhook_last_status_code: Mapped[int | None]
    webhook_last_error: Mapped[str | None] = mapped_column(String(500))
    webhook_delivered_at: Mapped[datetime | None]
    # Executions created through another API's shape (services/gateway/compat): which one, and the
    # request options that have no native column (Judge0's redirect_stderr_to_stdout...). NULL: ours.
    api_options: Mapped[dict[str, Any] | None]
    # The run phase's wall time and peak memory (also in execution_phases), for analytics'
    # percentiles straight from the covering indexes.
    run_wall_time_us: Mapped[int | None] = mapped_column(BigInteger)
    run_memory_kb: Mapped[int | None] = mapped_column(BigInteger)
    # Paths the run phase sends back after a clean exit (stored in execution_files); [] for none.
    output_files: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
