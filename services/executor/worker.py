"""The executor process: an arq worker that is woken the moment work arrives.

arq polls its queue every ``poll_delay`` (0.5 s by default), which alone would add ~290 ms to
every execution.  Gateways push the job id on ``EXECUTION_WAKE`` as they enqueue; a worker with a
free slot blocks on that list (BLPOP) and starts the job at once through arq's own start path
(which still guards against two workers taking one job).  The poll stays as a slow fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, cast

import aiodocker
import aiohttp
import uvloop
from arq import func
from arq.connections import RedisSettings
from arq.utils import timestamp_ms
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.executor import webhooks
from services.executor.analysis import AnalysisLane, analysis_shapes
from services.executor.arq_compat import CompatWorker
from services.executor.http import start_http
from services.executor.jobs import MAX_JOB_TRIES, run_execution
from services.executor.recovery import recover_own, sweep
from services.executor.runner import Runner, sandbox_shape
from services.executor.runtimes import discover_versions
from services.executor.sandbox import seccomp
from services.executor.sandbox.box import BoxOptions, Shape, queue_label, remove_sandboxes
from services.executor.sandbox.cgroups import SocketMemory
from services.executor.sandbox.cgroups import detect as detect_socket_memory
from services.executor.sandbox.pool import PoolSettings, SandboxPool
from services.executor.state import ExecutorState
from services.executor.webhooks import deliver_webhook
from shared.db.session import create_engine, create_sessionmaker
from shared.executions import Phase
from shared.languages import BY_KEY, LANGUAGES
from shared.limits import default_limits
from shared.logging import configure_logging
from shared.observability import POOL_SIZE, QUEUE_DEPTH
from shared.queue import RUN_EXECUTION_JOB
from shared.redis_keys import EXECUTION_QUEUE, EXECUTION_WAKE, executor_heartbeat
from shared.settings import ExecutorSettings
from shared.webhooks import DELIVER_WEBHOOK_JOB

logger = logging.getLogger("coderunhub.executor")

# Longer than any execution can take (an interactive run may last 15 minutes).
JOB_TIMEOUT_S = 1_200
HEARTBEAT_S = 1
# How soon the worker polls again after Redis was unreachable.
QUEUE_RETRY_S = 0.5
# An executor is presumed dead (its executions taken over) only after this long without a beat.
HEARTBEAT_TTL_S = 15


class WakeableWorker(CompatWorker):
    def __init__(self, *args: Any, wake_redis_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_redis_url = wake_redis_url
        self._wake = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._woken: list[bytes] = []

    async def main(self) -> None:
        # Mirrors arq.Worker.main, with the fixed poll interval replaced by wake-ups.
        await self.start_up()
        listener = asyncio.create_task(self._listen_for_wakeups(), name="wake-listener")
        loop = asyncio.get_running_loop()
        next_poll = 0.0
        try:
            while True:
                woken, self._woken = self._woken, []
                if woken and not self.taking_jobs:
                    # Shutting down: pass the wake-ups on to an executor that will take the jobs.
                    with contextlib.suppress(RedisError, OSError):
                        await cast(Awaitable[int], self.pool.rpush(EXECUTION_WAKE, *woken))
                    woken = []
                try:
                    if woken:
                        await self.start_by_id(woken)
                    if not woken or loop.time() >= next_poll:
                        # Bookkeeping (finished tasks, health) and anything enqueued without a wake-up.
                        await self.poll_once()
                        next_poll = loop.time() + self.poll_interval_s
                except (RedisError, OSError):
                    # Redis is away (a restart, a failover). arq's own loop would end the worker
                    # here; this one keeps its running jobs and polls again shortly. Jobs whose
                    # wake-ups were lost are found by that poll.
                    logger.warning("the queue is unavailable; retrying", exc_info=True)
                    next_poll = loop.time() + QUEUE_RETRY_S
                if not self._woken:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), max(0.0, next_poll - loop.time()))
                    self._wake.clear()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _listen_for_wakeups(self) -> None:
        redis = Redis.from_url(self._wake_redis_url)
        try:
            while True:
                if not self.taking_jobs:
                    await asyncio.sleep(0.2)
                    continue
                if self.slots_full:
                    # Busy: leave the token to an executor that can take the job.
                    self._slot_free.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._slot_free.wait(), 1.0)
                    continue
                try:
                    popped = await redis.blpop([EXECUTION_WAKE], timeout=1)
                    if popped:
                        self._woken.append(popped[1])
                        self._wake.set()
                except (RedisError, OSError):
                    await asyncio.sleep(0.5)
        finally:
            await redis.aclose()

    def on_slot_released(self) -> None:
        self._slot_free.set()
        # A finished job frees a slot: look for queued work now rather than at the next poll.
        self._wake.set()


def _heartbeat_value(state: ExecutorState) -> str:
    return json.dumps({"at": timestamp_ms(), "ready": state.ready, "pool": state.runner.pool.snapshot()})


async def _heartbeat(state: ExecutorState) -> None:
    """Alive (sweepers watch it), with the pool's state for operators and benchmarks."""
    while True:
        with contextlib.suppress(RedisError, OSError):
            await _beat(state)
            QUEUE_DEPTH.set(await state.redis.zcard(EXECUTION_QUEUE))
        POOL_SIZE.set(state.runner.pool.idle_count())
        await asyncio.sleep(HEARTBEAT_S)


async def _beat(state: ExecutorState) -> None:
    key = executor_heartbeat(state.settings.executor_id)
    await state.redis.set(key, _heartbeat_value(state), ex=HEARTBEAT_TTL_S)


async def _sweeper(state: ExecutorState) -> None:
    while True:
        await asyncio.sleep(state.settings.sweep_interval_s)
        try:
            await sweep(state)
        except Exception:
            logger.exception("sweep failed")


async def startup(ctx: dict[str, Any]) -> None:
    settings: ExecutorSettings = ctx["settings"]
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=settings.concurrency + 2)
    docker = create_docker_client(settings.docker_url)
    socket_memory = detect_socket_memory(Path(settings.cgroup_root))
    options = BoxOptions(
        executor_id=settings.executor_id,
        runtime=settings.runtime,
        nano_cpus=settings.nano_cpus,
        work_size_mb=settings.work_size_mb,
        tmp_size_mb=settings.tmp_size_mb,
        shm_size_mb=settings.shm_size_mb,
        seccomp_profile=seccomp.profile_json(),
        queue=queue_label(settings.redis_url.get_secret_value()),
        loopback=socket_memory is not SocketMemory.unavailable,
        max_file_size_kb=max(settings.limits.file_size_kb.maximum, settings.compile_limits.file_size_kb.maximum),
        max_cpu_time_ms=max(settings.limits.cpu_time_ms.maximum, settings.compile_limits.cpu_time_ms.maximum),
    )
    # Leftovers of a previous run go before the pool starts warming new sandboxes.
    removed = await remove_sandboxes(docker, settings.executor_id)
    if removed:
        logger.warning("removed %d sandboxes left by a previous run", removed)
    pool = SandboxPool(docker, options, pool_settings(settings, socket_memory))
    runner = Runner(
        pool,
        image_prefix=settings.image_prefix,
        image_tag=settings.image_tag,
        grace_s=settings.grace_s,
        artifact_max_bytes=settings.artifact_max_bytes,
        work_size_mb=settings.work_size_mb,
        output_files_max_bytes=settings.output_files_max_bytes,
    )
    state = ExecutorState(settings, engine, create_sessionmaker(engine), ctx["redis"], docker, runner)
    ctx["state"] = state
    # Beating from the start: probing the runtimes on a cold engine can outlast the heartbeat's
    # TTL, and other executors' sweepers would take a silent executor for dead and remove the
    # sandboxes it is warming.
    await _beat(state)
    ctx["background"] = [asyncio.create_task(_heartbeat(state)), asyncio.create_task(state.cancels.listen())]
    await recover_own(state)
    await pool.start()
    state.versions = await discover_versions(runner, docker, state.redis, settings.executor_id)
    # Analyses run in a lane of their own, beside arq's jobs (services/executor/analysis.py).
    ctx["analysis"] = AnalysisLane(state)
    await ctx["analysis"].start()
    state.ready = True
    await _beat(state)
    ctx["background"].append(asyncio.create_task(_sweeper(state)))
    if settings.metrics_port:
        ctx["http"] = await start_http(state, settings.metrics_host, settings.metrics_port)
    logger.info(
        "executor %s ready: %s", settings.executor_id, ", ".join(f"{k} {v}" for k, v in sorted(state.versions.items()))
    )


def create_docker_client(url: str | None) -> aiodocker.Docker:
    """Every attached sandbox holds a connection: lift aiohttp's default limit of 100."""
    if url is None or url.startswith("unix://"):
        path = url[len("unix://") :] if url else "/var/run/docker.sock"
        # With a connector given, aiodocker uses the URL only to compose request URLs.
        return aiodocker.Docker(url="unix://localhost", connector=aiohttp.UnixConnector(path, limit=1024))
    return aiodocker.Docker(url=url)


def pool_settings(settings: ExecutorSettings, socket_memory: SocketMemory = SocketMemory.charged) -> PoolSettings:
    """Warm the configured languages' default run shapes, and compile shapes for compiled ones."""
    prefix, tag = settings.image_prefix, settings.image_tag
    targets: dict[Shape, int] = {}
    for language in BY_KEY.values():
        default = LANGUAGES[language.id] is language
        size = settings.pool_sizes.get(language.key)
        if size is None and default:
            configured = settings.pool_size if language.id in settings.pool_languages else 0
            size = settings.pool_sizes.get(language.id, configured)
        if not size:
            continue
        image = f"{prefix}{language.runtime}:{tag}"
        run = sandbox_shape(image, language, default_limits(settings.limits, language.run_limit_defaults), Phase.run)
        targets[run] = max(targets.get(run, 0), size)
        if language.key in settings.pool_sizes or (default and language.id in settings.pool_sizes):
            # Anonymous callers' run shape too, for the languages pooled deeper (Python: the web
            # app's first run); their other shapes are pooled on demand.
            limits = default_limits(settings.anonymous_limits, language.run_limit_defaults)
            anonymous = sandbox_shape(image, language, limits, Phase.run)
            targets[anonymous] = max(targets.get(anonymous, 0), size)
        if language.compiled:
            compile_limits = default_limits(settings.compile_limits, language.compile_limit_defaults)
            shape = sandbox_shape(image, language, compile_limits, Phase.compile)
            targets[shape] = max(targets.get(shape, 0), settings.pool_size)
    targets.update(analysis_shapes(settings))
    return PoolSettings(
        base_targets={shape: size for shape, size in targets.items() if size > 0},
        max_per_shape=settings.pool_max_per_shape,
        max_total=settings.pool_max_total,
        idle_ttl_s=settings.pool_idle_ttl_s,
        refill_parallelism=settings.pool_refill_parallelism,
        new_shape_target=1 if settings.pool_max_total else 0,
        max_runs=settings.sandbox_max_runs,
        socket_memory=socket_memory,
        cgroup_root=settings.cgroup_root,
        socket_memory_mb=settings.socket_memory_mb,
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    for task in ctx.get("background", []):
        task.cancel()
    if "http" in ctx:
        await ctx["http"].cleanup()
    if "analysis" in ctx:
        await ctx["analysis"].stop()
    state: ExecutorState | None = ctx.get("state")
    if state is None:
        return
    with contextlib.suppress(Exception):
        await state.runner.pool.close()
    with contextlib.suppress(Exception):
        await remove_sandboxes(state.docker, state.settings.executor_id)
    with contextlib.suppress(RedisError, OSError):
        await state.redis.delete(executor_heartbeat(state.settings.executor_id))
    await state.docker.close()
    await state.engine.dispose()


def create_worker(settings: ExecutorSettings | None = None, **overrides: Any) -> WakeableWorker:
    settings = settings or ExecutorSettings()
    redis_url = settings.redis_url.get_secret_value()
    options: dict[str, Any] = dict(
        functions=[
            func(run_execution, name=RUN_EXECUTION_JOB, max_tries=MAX_JOB_TRIES),
            func(
                deliver_webhook,
                name=DELIVER_WEBHOOK_JOB,
                max_tries=settings.webhook_max_attempts,
                timeout=webhooks.job_timeout_s(settings),
            ),
        ],
        redis_settings=RedisSettings.from_dsn(redis_url),
        queue_name=EXECUTION_QUEUE,
        max_jobs=settings.concurrency,
        job_completion_wait=settings.shutdown_grace_s,
        job_timeout=JOB_TIMEOUT_S,
        keep_result=3600,
        poll_delay=settings.poll_delay_s,
        on_startup=startup,
        on_shutdown=shutdown,
        ctx={"settings": settings},
        wake_redis_url=redis_url,
    )
    options.update(overrides)
    return WakeableWorker(**options)


def main() -> None:
    settings = ExecutorSettings()
    configure_logging(settings.log_level, json=settings.log_json)
    # uvloop (as uvicorn uses for the gateway): the executor is mostly socket I/O to Redis,
    # PostgreSQL and the engine, where the default loop's Python transports cost most of its CPU.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    create_worker(settings).run()
