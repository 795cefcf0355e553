"""Keyset pages (newest first by created_at, then id) and the UTC query times they compare with.

A cursor is the position of the last row of a page, as URL-safe base64 of ``[iso_time, uuid]``:
opaque to clients, but not a secret (it only names a row the caller was already shown).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from shared.problems import ValidationProblem

Position = tuple[datetime, uuid.UUID]

# Matches CursorQuery's max_length, so a direct caller gets the same refusal as the query parameter.
MAX_CURSOR_LENGTH = 200
_CURSOR = re.compile(rf"^[A-Za-z0-9_-]{{1,{MAX_CURSOR_LENGTH}}}$")
BAD_CURSOR = "not a cursor returned by this API"


class Keyed(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


K = TypeVar("K", bound=Keyed)


def utc(value: datetime, name: str) -> datetime:
    """``value`` as an aware UTC datetime; naive times are taken as UTC.

    Near the ends of the calendar another zone's time has no UTC equivalent: a 422 on ``name``."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationProblem.for_field([name], "out of range", source="query") from exc


def as_utc(value: datetime | None, name: str) -> datetime | None:
    """An optional ISO 8601 query time, as ``utc`` has it."""
    return None if value is None else utc(value, name)


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([utc(created_at, "cursor").isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor names; anything this module did not produce is a 422 on ``cursor``."""
    try:
        if not _CURSOR.match(cursor):
            raise ValueError(cursor)
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(decoded, list) and len(decoded) == 2 and all(isinstance(part, str) for part in decoded)):
            raise ValueError(decoded)
        moment = datetime.fromisoformat(decoded[0])
        # Cursors are always written with an offset; a naive time was not written here.
        if moment.tzinfo is None:
            raise ValueError(decoded[0])
        return moment.astimezone(UTC), uuid.UUID(decoded[1])
    except (ValueError, OverflowError, binascii.Error) as exc:
        raise ValidationProblem.for_field(["cursor"], BAD_CURSOR, source="query") from exc


def page_size(limit: int | None, default: int, maximum: int) -> int:
    return min(limit or default, maximum)


def split_page(rows: Sequence[K], limit: int) -> tuple[Sequence[K], str | None]:
    """A page and the cursor of the next one; the query fetched one row more than ``limit`` to tell."""
    if len(rows) <= limit:
        return rows, None
    items = rows[:limit]
    return items, encode_cursor(items[-1].created_at, items[-1].id)
