"""Saving a session's document to its snippet, as a new revision.

The owner saves when they choose (``POST .../save``); a session that ends (its owner ends it, or
nobody touched it for ``collab_idle_end_s``) is saved too when its files differ from the snippet's.
A save is exactly a PATCH of the snippet's files: the same checks, the next revision number, a
row of snippet_revisions. It never asks for a revision (no If-Match): the session holds the
newest content by construction, and a PATCH made meanwhile from elsewhere stays in the history.

The idle sweep runs on every gateway; a Redis lock lets one of them do each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.analyses.metrics import queue_snippet_metrics
from services.gateway.collab import control
from services.gateway.collab import repository as repo
from services.gateway.collab.content import current_files
from services.gateway.snippets import repository as snippets_repo
from services.gateway.snippets import service as snippets
from services.gateway.snippets.schemas import SnippetUpdate
from services.gateway.state import GatewayState
from shared.db.models import CollabSession
from shared.problems import NotFoundProblem, ProblemError

logger = logging.getLogger("coderunhub.gateway.collab")

SWEEP_LOCK = "crh:collab:sweep"
# Held only while a sweep runs (released after, or expiring should its gateway die): gateways sweep
# one at a time, and none is kept from its next round by another's.
SWEEP_LOCK_S = 30
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SaveOut(BaseModel):
    snippet_id: uuid.UUID
    revision: int = Field(description="The snippet's revision holding the session's files.")
    saved: bool = Field(description="False when the snippet already held these files (no revision was added).")


async def save_document(state: GatewayState, db: AsyncSession, row: CollabSession) -> SaveOut:
    """Store the document's files as the snippet's next revision, unless it already holds them.
    Not committed here: the request (or the sweep) commits."""
    language, files = await current_files(state, row.id, db)
    snippet = await snippets_repo.get(db, row.snippet_id, for_update=True)
    if snippet is None:
        raise NotFoundProblem(f"Snippet {row.snippet_id}")
    held = [{"name": str(f["name"]), "content": str(f["content"])} for f in snippet.files]
    wanted = [{"name": f.name, "content": f.content} for f in files]
    changes: dict[str, Any] = {}
    if wanted != held:
        changes["files"] = wanted
    if language and language != snippet.language:
        changes["language"] = language
    if not changes:
        return SaveOut(snippet_id=snippet.id, revision=snippet.revision, saved=False)
    snippets.update(db, snippet, SnippetUpdate.model_validate(changes), None, state.settings)
    row.last_saved_revision = snippet.revision
    return SaveOut(snippet_id=snippet.id, revision=snippet.revision, saved=True)


async def queue_metrics(state: GatewayState, events: list[dict[str, Any]]) -> None:
    """After the commit of saves (their ``saved`` events): each revision's code metrics, as any
    snippet save gets them (services/gateway/analyses/metrics.py; never fails the save)."""
    for event in events:
        if event.get("type") != "saved":
            continue
        async with state.sessionmaker() as db:
            snippet = await snippets_repo.get(db, uuid.UUID(str(event["snippet_id"])))
        if snippet is not None and snippet.revision == event["revision"]:
            await queue_snippet_metrics(
                state, snippet_id=snippet.id, revision=snippet.revision, language=snippet.language, files=snippet.files
            )


def saved_event(out: SaveOut) -> dict[str, Any]:
    return {"type": "saved", "revision": out.revision, "snippet_id": str(out.snippet_id)}


async def end_saving(state: GatewayState, db: AsyncSession, session_id: uuid.UUID) -> list[dict[str, Any]]:
    """For a session being ended in ``db``'s transaction: save it, and the event that says so.
    A document the snippet cannot hold (a file renamed to something invalid, say) is left in the
    session's snapshot rather than blocking the end."""
    row = await repo.get(db, session_id)
    if row is None:
        return []
    try:
        async with db.begin_nested():
            out = await save_document(state, db, row)
    except ProblemError as error:
        logger.warning("collab session %s ended unsaved: %s", session_id, error.detail)
        return []
    return [saved_event(out)] if out.saved else []


async def sweep_once(state: GatewayState) -> int:
    """End (and save) the sessions idle for collab_idle_end_s; how many were ended."""
    cutoff = datetime.now(UTC) - timedelta(seconds=state.settings.collab_idle_end_s)
    async with state.sessionmaker() as db:
        stmt = select(CollabSession.id).where(CollabSession.status == "active", CollabSession.last_activity_at < cutoff)
        idle = list((await db.execute(stmt.limit(100))).scalars())
    ended = 0
    for session_id in idle:
        async with state.sessionmaker() as db:
            row = await repo.get(db, session_id, for_update=True)
            # Touched since the scan (a socket's compaction, a REST change): not idle any more.
            if row is None or row.status != "active" or row.last_activity_at >= cutoff:
                continue
            events = await end_saving(state, db, session_id)
            row.status = "ended"
            row.ended_at = datetime.now(UTC)
            await db.commit()
        await control.publish_all(state.redis, session_id, [*events, {"type": "ended"}])
        await queue_metrics(state, events)
        ended += 1
    return ended


class IdleSweeper:
    """Every collab_sweep_interval_s, each gateway ends idle sessions, one gateway at a time (a lock
    held for the sweep only)."""

    def __init__(self, state: GatewayState) -> None:
        self._state = state
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="collab-idle-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        interval = self._state.settings.collab_sweep_interval_s
        while True:
            await asyncio.sleep(interval)
            token = secrets.token_hex(8)
            try:
                if await self._state.redis.set(SWEEP_LOCK, token, nx=True, ex=SWEEP_LOCK_S):
                    try:
                        await sweep_once(self._state)
                    finally:
                        await self._state.redis.eval(_RELEASE, 1, SWEEP_LOCK, token)  # type: ignore[misc]
            except (RedisError, OSError, SQLAlchemyError) as error:
                # Redis or PostgreSQL away: the next round tries again.
                logger.warning("collab idle sweep failed: %s", error)
