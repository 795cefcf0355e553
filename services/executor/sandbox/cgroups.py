"""Socket-buffer memory of sandboxes, which cgroup v1 does not charge unless told to.

On cgroup v2 every socket's buffers are charged to the memory cgroup of the process that made
the socket, so a sandbox's TCP and UDP queues count against its memory limit. On cgroup v1 they
are charged only when the cgroup's ``memory.kmem.tcp.limit_in_bytes`` has been set, and runc 1.1
ignores Docker's KernelMemoryTCP. Unset, a 32 MiB sandbox queued 386 MiB over its own loopback,
and ~250 connections reached the host-wide tcp_mem limit, starving the platform's own
connections. So on v1 the executor writes that limit itself, right after a container starts and
before any program runs in it (the container's cgroup is read-only from inside).

Where that is impossible (v1, and the executor cannot write the host's cgroup tree), sandboxes
get no loopback interface: without one no TCP or UDP data can be queued at all.
"""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path

logger = logging.getLogger("coderunhub.executor.cgroups")


class SocketMemory(StrEnum):
    # cgroup v2: socket memory is part of every memory cgroup's usage.
    charged = "charged"
    # cgroup v1: the executor caps each sandbox's TCP/UDP buffers through its cgroup.
    capped = "capped"
    # cgroup v1 out of the executor's reach: sandboxes get no loopback networking.
    unavailable = "unavailable"


TCP_LIMIT = "memory.kmem.tcp.limit_in_bytes"


def detect(root: Path) -> SocketMemory:
    if (root / "cgroup.controllers").is_file():
        return SocketMemory.charged
    memory = root / "memory"
    probe = memory / TCP_LIMIT
    if probe.is_file() and os.access(probe, os.W_OK):
        return SocketMemory.capped
    logger.warning(
        "cgroup v1 without write access to %s: socket buffers of sandboxes cannot be capped, so sandboxes "
        "get no loopback networking (mount the host's cgroup tree read-write into the executor to enable it)",
        memory,
    )
    return SocketMemory.unavailable


def container_memory_dir(root: Path, container_id: str) -> Path | None:
    """The container's v1 memory cgroup under Docker's cgroupfs or systemd drivers."""
    memory = root / "memory"
    for candidate in (
        memory / "docker" / container_id,
        memory / "system.slice" / f"docker-{container_id}.scope",
    ):
        if candidate.is_dir():
            return candidate
    # A custom cgroup parent: one level further down at most.
    for parent in memory.iterdir():
        candidate = parent / container_id
        if candidate.is_dir():
            return candidate
    return None


def cap_socket_memory(root: Path, container_id: str, limit_bytes: int) -> None:
    """Charge the container's TCP/UDP buffers to its cgroup, at most limit_bytes (v1)."""
    directory = container_memory_dir(root, container_id)
    if directory is None:
        raise RuntimeError(f"no memory cgroup found for container {container_id}")
    (directory / TCP_LIMIT).write_text(str(limit_bytes))
