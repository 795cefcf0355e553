"""The analysis lane: linters and formatters run for the editor, beside executions, not among them.

Its own loops (``analysis_concurrency``, outside arq and its ``max_jobs``) move jobs from the
analysis queue into this executor's processing list (BLMOVE: a job is never only in memory), drop
those nobody waits for any more (past their deadline) or already answered (cached), and run each
tool as a Program through Runner.run_in_sandbox: the pool, the agent protocol, the cell, seccomp,
no network and the caps of every execution, in the `analysis` image. Nothing is published on an
execution's channels, and PostgreSQL gets only a saved snippet's metrics (code_metrics.py): the
result is cached in Redis (SET, then PUBLISH on the job's done channel). A dead executor's
processing list is queued again once (``requeue_dead``, from the sweeper)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

import aiodocker
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.executor import code_metrics
from services.executor.analysis_sandboxes import (
    ANALYSIS_LANGUAGE,
    TOOL_ENV,
    tool_env,
    tool_files,
    tool_spec,
)
from services.executor.runner import ExecutionSpec, Runner
from services.executor.sandbox.box import BoxResult, Program, Shape
from services.executor.sandbox.protocol import inflate
from services.executor.state import ExecutorState
from shared.analysis.base import Tool, ToolRun, reported_version, sandbox_path
from shared.analysis.checker_parsers import parse_go_vet, parse_mypy
from shared.analysis.compiler_parsers import parse_gcc, parse_tsc
from shared.analysis.metrics import parse_lizard
from shared.analysis.model import (
    AnalysisDiagnostic,
    AnalysisJob,
    AnalysisResult,
    AnalysisStatus,
    CodeMetrics,
    FormattedFile,
    ToolVersion,
)
from shared.analysis.parsers import (
    parse_formatted,
    parse_ruff_check,
    parse_shellcheck,
    strip_sandbox_paths,
    truncate_utf8,
)
from shared.analysis.tools import (
    ANALYSIS_RUNTIME,
    FORMATTED_MAX_BYTES,
    TOOLS,
    analyser,
    analysis_limits,
    plan,
    tools_for,
)
from shared.executions import Phase
from shared.redis_keys import (
    ANALYSIS_QUEUE,
    ANALYSIS_TOOLS,
    analysis_done,
    analysis_pending,
    analysis_processing,
    analysis_result,
)
from shared.settings import ExecutorSettings

logger = logging.getLogger("coderunhub.executor.analysis")

# How long one BLMOVE blocks: the loop notices cancellation and Redis coming back this often.
BLOCK_S = 1.0
REDIS_RETRY_S = 0.5
MAX_DETAIL = 500
SIGXFSZ = int(signal.SIGXFSZ)
# Tool output -> diagnostics (None: not the tool's output, so the tool failed).
LINT_PARSERS: dict[str, Callable[[bytes, Mapping[str, str]], list[AnalysisDiagnostic] | None]] = {
    "ruff-check": parse_ruff_check,
    "shellcheck": parse_shellcheck,
    "mypy": parse_mypy,
    "gcc": parse_gcc,
    "tsc": parse_tsc,
    "go-vet": parse_go_vet,
}

# Take a processing list whole (a dead executor's), so two sweepers never both queue its jobs again.
_TAKE_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
"""


def analysis_shapes(settings: ExecutorSettings) -> dict[Shape, int]:
    """Warm sandboxes of the analysis image: one shape per caller class (their memory differs);
    none where analyses are off, or the warm pool is (pool_size 0)."""
    image = f"{settings.image_prefix}{ANALYSIS_RUNTIME}:{settings.image_tag}"
    size = settings.analysis_pool_size if settings.analysis_concurrency and settings.pool_size else 0
    return {Shape.of(image, analysis_limits(anonymous=anonymous)): size for anonymous in (False, True)}


def own_sources(language: str, sources: dict[str, str]) -> dict[str, str]:
    """The submitted files the language's tools read (the others are in the sandbox, untouched)."""
    found = analyser(language)
    return {name: content for name, content in sources.items() if found is not None and found.reads(name)}


def _failure(result: BoxResult) -> tuple[AnalysisStatus, str] | None:
    """What ended a tool's run early, as the analysis' status, or None when it ran to its end."""
    record = result.record
    if result.timed_out or (record is not None and record.reason in ("cpu", "wall")):
        return AnalysisStatus.timeout, "the tool ran out of time"
    if result.output_exceeded or (record is not None and record.reason == "output"):
        return AnalysisStatus.limit, "the tool's output exceeded its limit"
    if result.oom_killed or (record is not None and record.oom_kills):
        return AnalysisStatus.limit, "the tool ran out of memory"
    if result.user_error is not None:
        # The agent refused to send back more than FORMATTED_MAX_BYTES of formatted files.
        return AnalysisStatus.limit, "the formatted files exceed their size limit"
    if record is not None and SIGXFSZ in (record.signal, record.exit_code - 128):
        # A file grew past the file-size limit (a formatter's output; the shell reports 128 + signal).
        return AnalysisStatus.limit, "the tool's output exceeded its limit"
    if record is None:
        return AnalysisStatus.error, "the sandbox failed"
    return None


def _tool_error(tool: Tool, result: BoxResult) -> str:
    """A tool that ended on its own but said nothing readable: its exit and the end of its stderr
    (of its stdout, for a tool that reports everything there)."""
    record = result.record
    if record is None:
        how = "no exit record"
    else:
        how = f"signal {record.signal}" if record.signal else f"exit {record.exit_code}"
    said = result.stderr if result.stderr.strip() else result.stdout
    tail = strip_sandbox_paths(said[-400:].decode(errors="replace")).strip()
    return truncate_utf8(f"{tool.name} failed ({how})" + (f": {tail}" if tail else ""), MAX_DETAIL)


class AnalysisLane:
    """The loops, the tool versions this executor's image carries, and the work of one job."""

    def __init__(self, state: ExecutorState) -> None:
        self.state = state
        self.settings = state.settings
        self.processing = analysis_processing(state.settings.executor_id)
        # Tool name -> version its image reports (probe_tools); tools missing here are not offered.
        self.versions: dict[str, str] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def runner(self) -> Runner:
        return self.state.runner

    async def start(self) -> None:
        """Probe the tools, queue again what a previous run of this executor left, start the loops."""
        if not self.settings.analysis_concurrency:
            return
        self.versions = await probe_tools(self.runner, self.state.docker, self.state.redis, self.settings.executor_id)
        if not self.versions:
            logger.error("no analysis tool answered: this executor runs no analyses")
            return
        await requeue(self.state.redis, self.processing)
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"analysis-{index}")
            for index in range(self.settings.analysis_concurrency)
        ]

    async def stop(self) -> None:
        """A job cut short stays in the processing list: the next start (or a sweeper) queues it again."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self) -> None:
        # A connection of its own: BLMOVE holds it while it blocks.
        redis = Redis.from_url(self.settings.redis_url.get_secret_value())
        try:
            while True:
                try:
                    raw = await redis.blmove(ANALYSIS_QUEUE, self.processing, BLOCK_S, "RIGHT", "LEFT")
                except (RedisError, OSError):
                    logger.warning("the analysis queue is unavailable; retrying", exc_info=True)
                    await asyncio.sleep(REDIS_RETRY_S)
                    continue
                if raw is None:
                    continue
                try:
                    await self.take(cast(bytes, raw))
                except (RedisError, OSError):
                    # The job stays in the processing list; a restart or a sweeper queues it again.
                    logger.warning("analysis job interrupted by Redis", exc_info=True)
                    await asyncio.sleep(REDIS_RETRY_S)
                except Exception:
                    logger.exception("analysis job failed")
                    with contextlib.suppress(RedisError, OSError):
                        await forget(self.state.redis, self.processing, raw)
        finally:
            await redis.aclose()

    async def take(self, raw: bytes) -> AnalysisResult | None:
        """One job from the processing list: run (unless expired or already cached), cache, publish,
        and remove it. The result, or None for a job dropped."""
        redis = self.state.redis
        try:
            job = AnalysisJob.model_validate_json(raw)
        except ValidationError:
            logger.warning("dropping an unreadable analysis job")
            await forget(redis, self.processing, raw)
            return None
        if job.persist is not None and job.deadline >= time.time():
            # A saved revision's files analysed lately (a title-only change): stored from the cache.
            await code_metrics.store_cached(self.state, job)
        if job.deadline < time.time() or await redis.exists(analysis_result(job.key)):
            await forget(redis, self.processing, raw)
            return None
        async with self.runner.pool.activity():
            result = await self.analyse(job)
        # Stored before the job leaves the processing list: an executor dying in between leaves it
        # to be run again (and stored once: code_metrics is keyed by the revision).
        await code_metrics.store(self.state, job, result)
        payload = result.model_dump_json()
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(analysis_result(job.key), payload, ex=self.settings.analysis_cache_ttl_s)
            pipe.publish(analysis_done(job.key), payload)
            pipe.lrem(self.processing, 1, raw)  # type: ignore[arg-type]  # (bytes: the job exactly as queued)
            pipe.delete(analysis_pending(job.key))
            await pipe.execute()
        logger.info("analysis %s: %s in %d ms", job.key[:12], result.status, result.duration_ms)
        return result

    async def analyse(self, job: AnalysisJob) -> AnalysisResult:
        sources = {file.name: file.content for file in job.files}
        runs = plan(job.language, job.variant, job.checks, list(sources))
        result = AnalysisResult(
            id=job.key,
            language=job.language,
            version=job.variant,
            status=AnalysisStatus.ok,
            tools=[
                ToolVersion(name=tool.name, version=reported_version(tool, self.versions, self.state.versions) or "")
                for tool in tools_for(job.language, job.checks, job.variant)
            ],
        )
        # Every submitted file goes in (as an execution would see them); only the tool's own are named.
        files = [(sandbox_path(name), content.encode(), 0o644) for name, content in sources.items()]
        diagnostics: list[AnalysisDiagnostic] = []
        formatted: list[FormattedFile] | None = None
        metrics: CodeMetrics | None = None
        for run in runs:
            # The analysis image's warm shape, or the compile shape of the language version's image.
            box = await self._run(tool_spec(run, job, self.settings), run, tool_files(run, files))
            if box.record is not None:
                result.duration_ms += box.record.wall_us // 1000
            failure = _failure(box)
            if failure is not None:
                result.status, result.detail = failure
                break
            if run.parser in LINT_PARSERS:
                parsed = LINT_PARSERS[run.parser](bytes(box.stdout if run.stream == "stdout" else box.stderr), sources)
                if parsed is None:
                    result.status, result.detail = AnalysisStatus.error, _tool_error(run.tool, box)
                    break
                diagnostics.extend(parsed)
            elif run.parser == "lizard":
                metrics = parse_lizard(bytes(box.stdout), sources)
                if metrics is None:
                    result.status, result.detail = AnalysisStatus.error, _tool_error(run.tool, box)
                    break
            else:
                if box.record is None or box.record.exit_code != 0:
                    result.status, result.detail = AnalysisStatus.error, _tool_error(run.tool, box)
                    break
                collected = [(artifact.name, inflate(artifact)) for artifact in box.artifacts]
                formatted = parse_formatted(collected, own_sources(job.language, sources))
        result.diagnostics = diagnostics
        result.formatted = formatted if result.status is AnalysisStatus.ok else None
        result.metrics = metrics if result.status is AnalysisStatus.ok else None
        return result

    async def _run(self, spec: ExecutionSpec, run: ToolRun, files: list[tuple[str, bytes, int]]) -> BoxResult:
        program = Program(
            files=files,
            argv=run.argv,
            env=tool_env(run),
            limits=spec.limits,
            collect=run.collect,
            artifact_max_bytes=FORMATTED_MAX_BYTES,
        )
        try:
            return await self.runner.run_in_sandbox(spec, Phase.compile, program, events=None)
        except Exception as exc:
            logger.exception("no sandbox for analysis %s", spec.id)
            return BoxResult(error=f"no sandbox: {exc}")


async def forget(redis: Redis, processing: str, raw: bytes) -> None:
    """Remove a job from a processing list: by its exact bytes, as BLMOVE moved it."""
    await cast(Awaitable[int], redis.lrem(processing, 1, raw))  # type: ignore[arg-type]


async def requeue(redis: Redis, processing: str) -> int:
    """Queue a processing list's jobs again (those queued again once already are dropped)."""
    items = await cast(Awaitable[list[bytes]], redis.eval(_TAKE_ALL, 1, processing))
    again = []
    for raw in items:
        try:
            job = AnalysisJob.model_validate_json(raw)
        except ValidationError:
            continue
        if job.attempt == 0 and job.deadline >= time.time():
            again.append(job.model_copy(update={"attempt": 1}).model_dump_json())
    if again:
        # At the end BLMOVE takes from: they were queued first.
        await cast(Awaitable[int], redis.rpush(ANALYSIS_QUEUE, *again))
    return len(again)


async def requeue_dead(state: ExecutorState) -> int:
    """The sweeper's part: processing lists of executors found dead go back on the queue."""
    requeued = 0
    prefix = analysis_processing("")
    async for key in state.redis.scan_iter(match=prefix + "*", count=100):
        executor_id = (key.decode() if isinstance(key, bytes) else str(key))[len(prefix) :]
        if executor_id != state.settings.executor_id and await state.deaths.is_dead(state.redis, executor_id):
            requeued += await requeue(state.redis, analysis_processing(executor_id))
    return requeued


_VERSION = re.compile(r"\b(\d+\.\d+\.\d+)\b")


async def probe_tools(runner: Runner, docker: aiodocker.Docker, redis: Redis, executor_id: str) -> dict[str, str]:
    """The version each tool of the analysis image reports, probed once per image build (cached in
    Redis by image id, as the runtimes are) and published for the gateways (ANALYSIS_TOOLS)."""
    image = runner.image(ANALYSIS_LANGUAGE)
    try:
        image_id = (await docker.images.inspect(image))["Id"]
    except aiodocker.DockerError:
        logger.error("the analysis image %s is missing: analyses are unavailable on this executor", image)
        return {}
    raw = await cast(Awaitable[dict[bytes, bytes]], redis.hgetall(ANALYSIS_TOOLS))
    cached = {key.decode(): json.loads(value) for key, value in raw.items()}
    versions: dict[str, str] = {}
    for tool in TOOLS.values():
        entry = cached.get(tool.name)
        if entry and entry.get("image_id") == image_id and entry.get("version"):
            versions[tool.name] = entry["version"]
            continue
        version = await _probe(runner, tool)
        if version is None:
            logger.error("%s in %s did not report its version", tool.name, image)
            continue
        if version != tool.version:
            logger.warning("%s in %s is %s, not the pinned %s", tool.name, image, version, tool.version)
        versions[tool.name] = version
        record = {"version": version, "image": image, "image_id": image_id, "executor": executor_id, "at": time.time()}
        await cast(Awaitable[int], redis.hset(ANALYSIS_TOOLS, tool.name, json.dumps(record)))
    return versions


async def _probe(runner: Runner, tool: Tool) -> str | None:
    limits = analysis_limits(anonymous=False)
    # A one-off: a never-used sandbox that does not make its shape poolable.
    spec = ExecutionSpec(
        id=f"probe-analysis-{tool.name}",
        language=ANALYSIS_LANGUAGE,
        files=(),
        stdin=b"",
        args=(),
        compile_options=(),
        limits=limits,
        compile_limits=None,
        reuse=False,
        demand=False,
    )
    program = Program(files=(), argv=(tool.path, "--version"), env=TOOL_ENV, limits=limits)
    try:
        result = await runner.run_in_sandbox(spec, Phase.compile, program, events=None)
    except Exception:
        logger.exception("probing %s failed", tool.name)
        return None
    match = _VERSION.search(result.stdout.decode(errors="replace"))
    return match.group(1) if match else None
