"""Host uids for sandbox containers: one per container, none shared while it lives.

The kernel keeps many quotas per user: inotify instances and watches, pipe-buffer pages, POSIX
message-queue bytes, SHM_LOCK'd memory, queued real-time signals, descriptors in flight over
SCM_RIGHTS. Sandboxes that shared one uid shared those budgets, so one execution could deny
them to every other tenant. Each container therefore runs as a host uid of its own; inside, its
executions' user namespaces map that uid to 65534 ("nobody"), so programs see the usual identity.

Uids are drawn at random from a range far above any real account or subordinate-id range
(2^24 and up, ~2 billion values) and never reused by this executor while a container holds them.
Several executors on one engine need no coordination: with a few hundred live sandboxes the
chance that two of them draw the same uid is about one in ten million per container, and a
collision would only make two sandboxes share those quotas, never each other's files or
processes (namespaces, mounts and cgroups are per container).
"""

from __future__ import annotations

import secrets

UID_MIN = 1 << 24
UID_MAX = (1 << 31) - 2


class UidAllocator:
    def __init__(self, low: int = UID_MIN, high: int = UID_MAX) -> None:
        if not 0 < low < high:
            raise ValueError("empty uid range")
        self._low = low
        self._span = high - low + 1
        self._taken: set[int] = set()

    def take(self) -> int:
        while True:
            uid = self._low + secrets.randbelow(self._span)
            if uid not in self._taken:
                self._taken.add(uid)
                return uid

    def give_back(self, uid: int) -> None:
        self._taken.discard(uid)

    @property
    def in_use(self) -> int:
        return len(self._taken)
