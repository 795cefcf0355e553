"""A session's files as they stand, read by any gateway: what a shared run runs and what a save
stores. No room is needed (the editors' sockets may be on other gateways): the PostgreSQL
snapshot and the Redis update log after it are the whole document."""

from __future__ import annotations

import uuid
from typing import Any

from pycrdt import Doc, Map
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.collab import documents
from services.gateway.collab.relay import UpdateLog
from services.gateway.executions.schemas import FileIn
from services.gateway.state import GatewayState
from shared.problems import NotFoundProblem, ProblemError


async def current_files(
    state: GatewayState, session_id: uuid.UUID, db: AsyncSession
) -> tuple[str | None, list[FileIn]]:
    """The document as every gateway can see it: the snapshot, then the log after it (read again
    when a compaction moved the snapshot on meanwhile). Read in ``db``, the caller's transaction:
    a request never holds a second pooled connection while it waits for this one (a burst of
    saves would otherwise exhaust the pool, each holding one and waiting for another)."""
    log = UpdateLog(state.redis, session_id, state.settings.collab_log_ttl_s)
    for _ in range(3):
        stored = await documents.load_in(db, session_id)
        if stored is None:
            stored = await documents.seed_in(db, session_id)
        if stored is None:
            raise NotFoundProblem(f"Collaborative session {session_id}")
        entries, _ = await log.after(stored.covered_id)
        # A compaction between the two reads trims entries after covered_id only once it stored a
        # newer snapshot: an unchanged covered_id means the log read missed nothing.
        again = await documents.load_in(db, session_id)
        if again is None or again.covered_id != stored.covered_id:
            continue
        doc: Doc[Any] = Doc()
        documents.apply(doc, stored.snapshot)
        for _, update in entries:
            documents.apply(doc, update)
        contents = documents.file_contents(doc)
        meta = doc.get(documents.META, type=Map)
        order = [name for name in (meta.get("order") or []) if name in contents]
        order += sorted(name for name in contents if name not in order)
        language = meta.get("language")
        return (str(language) if language else None), [FileIn(name=name, content=contents[name]) for name in order]
    raise ProblemError(503, "collab-busy", "Session busy", "The document is being saved; try again.")
