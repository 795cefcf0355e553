"""Compiled artifacts leave a sandbox only as agent frames, and the agent never follows links.

Security reference case 37: an output file made a symlink to /etc/passwd, or a FIFO, must be an
error, never followed. Here a program plays the compiler and plants exactly that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from services.executor.sandbox.box import Program, Shape
from services.executor.sandbox.pool import SandboxPool
from services.executor.sandbox.protocol import inflate
from shared.executions import Limits
from tests.e2e.conftest import bare_pool, runtime_image, wait_for_no_leftovers

LIMITS = Limits(
    wall_time_ms=10_000, cpu_time_ms=5_000, memory_mb=128, processes=32, output_bytes=65536, file_size_kb=1024
)
PLANT = """
ln -s /etc/passwd main
mkfifo out
mkdir -p d/sub
ln -s / d/root
ln -s /etc/shadow d/sub/shadow
echo real > d/sub/file
echo planted
"""


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[SandboxPool]:
    async with bare_pool() as pool:
        yield pool


async def test_symlinks_and_fifos_are_never_collected(pool: SandboxPool) -> None:
    box, warm = await pool.acquire(Shape(runtime_image("base"), LIMITS.memory_mb, LIMITS.processes))
    assert not warm
    try:
        program = Program(
            files=[("plant.sh", PLANT.encode(), 0o644)],
            argv=["bash", "plant.sh"],
            env={},
            limits=LIMITS,
            collect=["main", "out", "d"],
        )
        result = await box.run(program, lambda _stream, _data: None, grace_s=5)
    finally:
        pool.release(box)
        await pool.drain()
    assert result.record is not None, result.error
    assert bytes(result.stdout) == b"planted\n"
    # Only the regular file comes out; the links and the FIFO are skipped, nothing blocked.
    assert [(a.name, inflate(a)) for a in result.artifacts] == [("d/sub/file", b"real\n")]
    assert wait_for_no_leftovers() == []
