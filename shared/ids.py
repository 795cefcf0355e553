"""Time-ordered UUIDv7 ids: index-friendly and usable as a stable pagination cursor."""

from __future__ import annotations

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
