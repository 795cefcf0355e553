"""Compiled artifacts leave a sandbox only as agent frames, and the agent never follows links.

Security reference case 37: an output file made a symlink to /etc/passwd, or a FIFO, must be an
error, never followed. Here a program plays the compiler and plants exactly that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiodocker
import pytest_asyncio

from services.executor.runner import ExecutionSpec, Runner
from services.executor.sandbox.box import BoxOptions, Program
from services.executor.sandbox.seccomp import load_seccomp_profile
from shared.executions import Limits, Phase
from shared.languages import LANGUAGES
from shared.settings import ExecutorSettings
from tests.e2e.conftest import sandbox_leftovers

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
async def runner() -> AsyncIterator[Runner]:
    settings = ExecutorSettings()
    docker = aiodocker.Docker()
    options = BoxOptions(
        executor_id="executor-test",
        runtime=settings.runtime,
        nano_cpus=settings.nano_cpus,
        work_size_mb=settings.work_size_mb,
        tmp_size_mb=settings.tmp_size_mb,
        seccomp_profile=load_seccomp_profile(settings.seccomp_profile),
    )
    yield Runner(
        docker,
        options,
        image_prefix=settings.image_prefix,
        image_tag=settings.image_tag,
        grace_s=5,
        artifact_max_bytes=1 << 20,
    )
    await docker.close()


async def test_symlinks_and_fifos_are_never_collected(runner: Runner) -> None:
    spec = ExecutionSpec(
        id="artifact-test",
        language=LANGUAGES["bash"],
        files=(),
        stdin=b"",
        args=(),
        compile_options=(),
        limits=LIMITS,
        compile_limits=None,
    )
    box = await runner.launch(spec, Phase.compile, LIMITS)
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
        await box.destroy()
    assert result.record is not None, result.error
    assert bytes(result.stdout) == b"planted\n"
    # Only the regular file comes out; the links and the FIFO are skipped, nothing blocked.
    assert [(name, content) for name, _mode, content in result.artifacts] == [("d/sub/file", b"real\n")]
    assert sandbox_leftovers() == []
