"""Finding out which language versions this executor's runtime images really carry."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import Awaitable
from typing import cast

import aiodocker
from redis.asyncio import Redis

from services.executor.runner import ExecutionSpec, Runner
from services.executor.sandbox.box import Program
from shared.executions import Limits, Phase
from shared.languages import BY_KEY, Language
from shared.redis_keys import RUNTIMES

logger = logging.getLogger("coderunhub.executor.runtimes")

PROBE_LIMITS = Limits(
    wall_time_ms=20_000, cpu_time_ms=10_000, memory_mb=512, processes=64, output_bytes=4096, file_size_kb=1024
)


async def _probe(runner: Runner, language: Language) -> str | None:
    # A plain sandbox, used once: the version command runs as given (no pre-started interpreter
    # or compiler), and probing leaves no sandboxes of its shape warm.
    plain = dataclasses.replace(language, zygote=None, compile_zygote=None)
    spec = ExecutionSpec(
        id=f"probe-{language.id}-{language.variant}",
        language=plain,
        files=(),
        stdin=b"",
        args=(),
        compile_options=(),
        limits=PROBE_LIMITS,
        compile_limits=None,
        reuse=False,
        demand=False,
    )
    program = Program(files=(), argv=language.version_command, env={}, limits=PROBE_LIMITS)
    result = await runner.run_in_sandbox(spec, Phase.compile, program, events=None)
    text = (result.stdout + result.stderr).decode(errors="replace")
    match = re.search(language.version_pattern, text)
    return match.group(1) if match else None


async def discover_versions(runner: Runner, docker: aiodocker.Docker, redis: Redis, executor_id: str) -> dict[str, str]:
    """Probe each language once per image build (cached in Redis by image id) and publish the result."""
    raw = await cast(Awaitable[dict[bytes, bytes]], redis.hgetall(RUNTIMES))
    cached = {key.decode(): json.loads(value) for key, value in raw.items()}
    versions: dict[str, str] = {}
    semaphore = asyncio.Semaphore(3)

    async def one(language: Language) -> None:
        image = runner.image(language)
        try:
            image_id = (await docker.images.inspect(image))["Id"]
        except aiodocker.DockerError:
            logger.error("runtime image %s is missing: %s is unavailable on this executor", image, language.key)
            return
        entry = cached.get(language.key)
        if entry and entry.get("image_id") == image_id and entry.get("version"):
            versions[language.key] = entry["version"]
            return
        async with semaphore:
            try:
                version = await _probe(runner, language)
            except Exception:
                logger.exception("probing %s failed", language.key)
                return
        if version is None:
            logger.error("could not read the version of %s from %s", language.key, image)
            return
        versions[language.key] = version
        record = {
            "version": version,
            "image": image,
            "image_id": image_id,
            "executor": executor_id,
            "probed_at": time.time(),
        }
        await cast(Awaitable[int], redis.hset(RUNTIMES, language.key, json.dumps(record)))

    await asyncio.gather(*(one(language) for language in BY_KEY.values()))
    return versions
