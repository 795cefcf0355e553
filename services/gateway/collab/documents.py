"""A session's document: its shape, its durable copy in PostgreSQL (collab_documents) and the
compaction that folds the Redis update log into that copy.

The document is a Yjs doc with two root maps: ``files`` (file name -> Y.Text) and ``meta``
(``language``, and ``order``, the file names in tab order). PostgreSQL holds a snapshot (one
update with the whole state) and ``covered_id``, the last log entry folded into it; Redis keeps
the entries after it. Opening a room reads the snapshot and then the log from ``covered_id``.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Text
from redis.asyncio import Redis
from sqlalchemy import Numeric, cast, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.collab.protocol import ProtocolError
from services.gateway.collab.relay import START_ID, UpdateLog
from shared.db.models import CollabDocument, CollabSession, Snippet
from shared.redis_keys import collab_compact_lock
from shared.settings import GatewaySettings

logger = logging.getLogger("coderunhub.gateway.collab")

FILES = "files"
META = "meta"
# The compaction lock outlives any sane compaction; a gateway that died holding it frees it by expiry.
COMPACT_LOCK_MS = 10_000

# Deletes the lock only if it is still ours (it may have expired and been taken by another gateway).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Stored:
    snapshot: bytes
    covered_id: str


def seed_update(language: str, files: Iterable[dict[str, Any]]) -> bytes:
    """The whole document of a snippet's files, as one update."""
    doc: Doc[Any] = Doc()
    names = []
    with doc.transaction():
        tree = doc.get(FILES, type=Map)
        for file in files:
            tree[str(file["name"])] = Text(str(file.get("content", "")))
            names.append(str(file["name"]))
        meta = doc.get(META, type=Map)
        meta["language"] = language
        meta["order"] = names
    return doc.get_update()


def measure(doc: Doc[Any]) -> tuple[int, int]:
    """The document's file count and text size (UTF-8 bytes, all files)."""
    tree = doc.get(FILES, type=Map)
    return len(tree), sum(len(str(value).encode()) for value in tree.values())


def apply(doc: Doc[Any], update: bytes) -> None:
    """``doc.apply_update``, with a malformed update as a ProtocolError."""
    try:
        doc.apply_update(update)
    except ValueError as error:
        raise ProtocolError("malformed update") from error
    except BaseException as error:
        # Yrs panics surface as pyo3's PanicException, a BaseException.
        if type(error).__name__ != "PanicException":
            raise
        raise ProtocolError("malformed update") from error


class TooLarge(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Bounds:
    """Upper bounds of a document's size, exact after each measurement.

    An update cannot be taken back once applied, but it inserts at most its own length of text
    and at most one file per few bytes (an item with no origin spells out its info byte, parent,
    key and content type). So while a document is that far below every limit, an update is
    applied directly and the bounds grow by its length; otherwise it is applied to a copy first,
    which is measured."""

    MIN_ENTRY_BYTES = 4

    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings
        self.files = self.text_bytes = self.state_bytes = 0

    def measure(self, doc: Doc[Any], state_bytes: int | None = None) -> None:
        self.files, self.text_bytes = measure(doc)
        self.state_bytes = len(doc.get_update()) if state_bytes is None else state_bytes

    def grew(self, doc: Doc[Any], size: int) -> None:
        """After an update the room applied unchecked (relayed: another gateway checked it)."""
        self.text_bytes += size
        self.state_bytes += size
        self.files = len(doc.get(FILES, type=Map))

    def apply(self, doc: Doc[Any], update: bytes) -> None:
        """Apply ``update`` if the document stays within the limits, else raise TooLarge."""
        settings, size = self._settings, len(update)
        if (
            self.text_bytes + size <= settings.max_source_bytes
            and self.state_bytes + size <= settings.collab_max_state_bytes
            and self.files + size // self.MIN_ENTRY_BYTES <= settings.max_files
        ):
            apply(doc, update)
            self.grew(doc, size)
            return
        scratch: Doc[Any] = Doc()
        apply(scratch, doc.get_update())
        apply(scratch, update)
        files, text_bytes = measure(scratch)
        state_bytes = len(scratch.get_update())
        if files > settings.max_files:
            raise TooLarge("too-many-files", f"a session's document holds at most {settings.max_files} files")
        if text_bytes > settings.max_source_bytes:
            raise TooLarge("text-too-large", f"the files hold at most {settings.max_source_bytes} bytes of text")
        if state_bytes > settings.collab_max_state_bytes:
            limit = settings.collab_max_state_bytes
            raise TooLarge("document-too-large", f"the document's encoded state is limited to {limit} bytes")
        apply(doc, update)
        self.files, self.text_bytes, self.state_bytes = files, text_bytes, state_bytes


def file_contents(doc: Doc[Any]) -> dict[str, str]:
    return {name: str(value) for name, value in doc.get(FILES, type=Map).items()}


async def load(sessions: async_sessionmaker[AsyncSession], session_id: uuid.UUID) -> Stored | None:
    async with sessions() as session:
        return await load_in(session, session_id)


async def load_in(session: AsyncSession, session_id: uuid.UUID) -> Stored | None:
    """As ``load``, in a transaction the caller holds (a request's: one pooled connection each)."""
    stmt = select(CollabDocument.snapshot, CollabDocument.covered_id).where(CollabDocument.session_id == session_id)
    row = (await session.execute(stmt)).one_or_none()
    return Stored(row.snapshot, row.covered_id) if row else None


async def seed(sessions: async_sessionmaker[AsyncSession], session_id: uuid.UUID) -> Stored | None:
    """Store the snippet's current files as the session's first snapshot, unless another gateway
    (or an earlier room) stored one first: two seeds of the same text would merge into doubled
    text, so exactly one wins. The snapshot stored, or None when the session is gone."""
    async with sessions() as session:
        stored = await seed_in(session, session_id)
        await session.commit()
    return stored


async def seed_in(session: AsyncSession, session_id: uuid.UUID) -> Stored | None:
    """As ``seed``, in the caller's transaction (committed by the caller)."""
    source = (
        await session.execute(
            select(Snippet.language, Snippet.files)
            .join(CollabSession, CollabSession.snippet_id == Snippet.id)
            .where(CollabSession.id == session_id)
        )
    ).one_or_none()
    if source is None:
        return None
    snapshot = seed_update(source.language, source.files)
    stmt = insert(CollabDocument).values(
        session_id=session_id, snapshot=snapshot, covered_id=START_ID, size_bytes=len(snapshot)
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[CollabDocument.session_id]))
    return await load_in(session, session_id)


def _id_tuple(column: Any) -> Any:
    return tuple_(cast(func.split_part(column, "-", 1), Numeric), cast(func.split_part(column, "-", 2), Numeric))


async def store(
    sessions: async_sessionmaker[AsyncSession], session_id: uuid.UUID, snapshot: bytes, covered_id: str
) -> bool:
    """Upsert the snapshot; False when the stored one already covers a later log entry (a slower
    compaction must not overwrite a newer one: the log before that entry may be trimmed)."""
    new = insert(CollabDocument).values(
        session_id=session_id, snapshot=snapshot, covered_id=covered_id, size_bytes=len(snapshot)
    )
    stmt = new.on_conflict_do_update(
        index_elements=[CollabDocument.session_id],
        set_={
            "snapshot": new.excluded.snapshot,
            "covered_id": new.excluded.covered_id,
            "size_bytes": new.excluded.size_bytes,
            "updated_at": func.now(),
        },
        where=_id_tuple(new.excluded.covered_id) >= _id_tuple(CollabDocument.covered_id),
    ).returning(CollabDocument.session_id)
    async with sessions() as session:
        written = (await session.execute(stmt)).scalar_one_or_none() is not None
        if written:
            # What the idle sweep reads: the last time edits reached the durable copy.
            await session.execute(
                update(CollabSession).where(CollabSession.id == session_id).values(last_activity_at=func.now())
            )
        await session.commit()
    return written


async def compact(
    redis: Redis,
    sessions: async_sessionmaker[AsyncSession],
    log: UpdateLog,
    session_id: uuid.UUID,
    doc: Doc[Any],
    covered_id: str,
) -> int | None:
    """Fold the log into the snapshot: store ``doc`` (which holds every entry up to ``covered_id``)
    and trim the log before that entry. Under the session's lock, so two gateways holding rooms
    take turns; None when another holds it, else the snapshot's size."""
    lock = collab_compact_lock(session_id)
    token = secrets.token_hex(8)
    if not await redis.set(lock, token, nx=True, px=COMPACT_LOCK_MS):
        return None
    try:
        # Taken together, with no await between: the snapshot holds everything up to covered_id.
        snapshot = doc.get_update()
        if await store(sessions, session_id, snapshot, covered_id) and covered_id != START_ID:
            await log.trim(covered_id)
        return len(snapshot)
    finally:
        await redis.eval(_RELEASE, 1, lock, token)  # type: ignore[misc]
