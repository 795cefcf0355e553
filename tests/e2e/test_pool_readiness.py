"""The pool knows when a sandbox can serve at once: the agent's ready frame.

After each run the agent prepares its next cell; in zygote mode that cell starts an interpreter or
compiler that warms up before the program is known (a JVM compiler: a second or more). The agent
says 'Y' once the cell is ready (the zygote writes a byte on its fd 4 when warm), the executor's
Box listens for it while the sandbox waits in the pool, and the pool hands out ready sandboxes
first; taking one still warming up counts (stats "unready") and raises the shape's target.

A zygote that sleeps before starting Python's stands for a slow compiler here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest_asyncio

from services.executor.sandbox.box import Box, Program, Shape
from services.executor.sandbox.pool import SandboxPool
from shared.executions import Limits
from tests.e2e.conftest import bare_pool, runtime_image, wait_for_no_leftovers

LIMITS = Limits(
    wall_time_ms=15_000, cpu_time_ms=5_000, memory_mb=128, processes=32, output_bytes=65536, file_size_kb=1024
)
WARM_UP_S = 1.5
SLOW_ZYGOTE = ("sh", "-c", f"sleep {WARM_UP_S}; exec python3 /opt/crh/zygote.py")


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[SandboxPool]:
    async with bare_pool() as pool:
        yield pool
    assert wait_for_no_leftovers() == []


async def run(box: Box, word: str) -> str:
    program = Program(
        files=[("main.py", f"print(input() + ' {word}')".encode(), 0o644)],
        argv=["python3", "main.py"],
        env={},
        limits=LIMITS,
        stdin=b"hello",
    )
    result = await box.run(program, lambda _stream, _data: None, grace_s=5)
    assert result.record is not None, result.error
    assert result.record.exit_code == 0, bytes(result.stderr)
    return bytes(result.stdout).decode()


async def until_ready(box: Box, timeout_s: float = 20.0) -> float:
    start = time.monotonic()
    while not box.ready:
        assert time.monotonic() - start < timeout_s, "the sandbox never said it was ready"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_ready_sandboxes_are_taken_first(pool: SandboxPool) -> None:
    shape = Shape(runtime_image("python"), LIMITS.memory_mb, LIMITS.processes, zygote=SLOW_ZYGOTE)
    first, warm = await pool.acquire(shape)
    second, _ = await pool.acquire(shape)
    assert not warm
    assert await run(first, "one") == "hello one\n"
    assert await run(second, "two") == "hello two\n"
    pool.release(first, reusable=True)
    pool.release(second, reusable=True)
    # The next cells' zygotes are still asleep: neither sandbox is ready yet, then both are.
    await asyncio.sleep(0.3)
    assert not first.ready
    assert not second.ready
    await until_ready(first)
    await until_ready(second)

    # The first serves again and warms up anew; the second, released before it, is the ready one.
    taken, _ = await pool.acquire(shape)
    assert taken is first
    assert await run(first, "again") == "hello again\n"
    pool.release(first, reusable=True)
    taken, warm = await pool.acquire(shape)
    assert taken is second
    assert warm
    assert second.runs == 1
    assert pool.snapshot()["unready"] == 0
    assert await run(second, "ready") == "hello ready\n"
    pool.release(second, reusable=True)

    # Back to back: both are warming up; the one warming longer is taken, counted, and serves once
    # its zygote is warm. Such demand raises the shape's target (one more sandbox warming).
    target = pool.snapshot()["target"]
    taken, warm = await pool.acquire(shape)
    assert taken is first
    assert warm
    assert not first.ready
    assert pool.snapshot()["unready"] == 1
    assert pool.snapshot()["target"] == target + 1
    assert await run(first, "late") == "hello late\n"
    pool.release(first, reusable=True)
    await pool.drain()


async def test_sandboxes_without_a_zygote_are_ready_once_their_cell_is(pool: SandboxPool) -> None:
    shape = Shape(runtime_image("python"), LIMITS.memory_mb, LIMITS.processes)
    box, _ = await pool.acquire(shape)
    box.watch()
    await until_ready(box)
    assert await run(box, "plain") == "hello plain\n"
    assert not box.ready
    pool.release(box, reusable=True)
    await until_ready(box)
    # Run back to back without the pool: the ready frame nobody listened for is skipped.
    box, _ = await pool.acquire(shape)
    assert await run(box, "again") == "hello again\n"
    await asyncio.sleep(0.5)
    assert await run(box, "third") == "hello third\n"
    pool.release(box, reusable=True)
    await until_ready(box)
    await pool.drain()
