"""What the gateway remembers of recent executions, so many viewers of one execution cost little.

A popular execution (a classroom watching one run, the load bench's 200 viewers) is streamed to
every viewer: its owner is checked, its result frame built and (once finished, when small) its
whole stream encoded once per gateway, not per viewer.
Both never change once known (the owner from creation, the result once finished), so the caches
only need bounding, not invalidation.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.gateway.lru import Recent


class RecentExecutions:
    def __init__(self, size: int = 4096) -> None:
        # execution id -> owner (None: anonymous); only executions that exist.
        self.owners: Recent[uuid.UUID, uuid.UUID | None] = Recent(size)
        # execution id -> the result frame's "execution" object (without output: encoding-free).
        self.results: Recent[uuid.UUID, dict[str, Any]] = Recent(size)
        # (execution id, encoding, the viewers' WebSocket base URL: frames carry links) -> every
        # frame of its finished stream, as sent (small ones only).
        self.transcripts: Recent[tuple[uuid.UUID, str, str], list[str]] = Recent(size // 4)
