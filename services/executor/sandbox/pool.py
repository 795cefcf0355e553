"""A warm pool of started sandboxes, reused between executions or used once.

Starting a container costs ~130 ms and ~0.2 CPU-seconds here, far more than running a hello
world. Sandboxes are therefore created ahead of time with every limit and no network, their agent
waiting for a program (its next cell already prepared). Each execution runs in a fresh cell
(namespaces, mounts) of its own, so a sandbox whose run ended cleanly goes back to the pool and
serves the next execution of any user ("reuse"), until it has served max_runs executions or
sits idle too long; anything odd (an OOM, an agent error, a timeout the executor had to enforce)
retires it. Executions that must have a container nobody used before ("fresh", by configuration
per caller class) take only never-used sandboxes, which are destroyed after one run. Refills,
expiry and removal happen in the background, off the execution's path. An empty pool degrades to
a cold start.

A sandbox's agent says when its next cell is ready (Box.watch): in zygote mode that is when the
interpreter or compiler has warmed up, which takes a JVM compiler a second or more after each run.
Ready sandboxes are taken first; taking one that is still warming up (back-to-back submissions)
counts as a miss, so the shape's target grows and the next submission finds one that warmed while
another served.

Sandboxes are grouped by shape (image, memory, processes): the settings a container fixes at
creation. Everything else (CPU time, wall time, output, file size) the agent applies per program.
Each shape has a target of never-used sandboxes: a configured base, raised by misses (demand) and
lowered again when a shape stays idle. Shapes seen for the first time become poolable, but only
a few such demand shapes at a time, and after the configured ones: requests with ever-new limit
shapes cannot crowd the default shapes out of the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiodocker

from services.executor.sandbox.box import MIB, Box, BoxOptions, Shape, container_config
from services.executor.sandbox.cgroups import SocketMemory, cap_socket_memory
from services.executor.sandbox.uids import UidAllocator
from shared.observability import CONTAINER_START

logger = logging.getLogger("coderunhub.executor.pool")

POOL_NAME_PREFIX = "crh-pool-"
DECAY_INTERVAL_S = 30.0
# Container start-up and removal burn ~0.2 CPU-seconds: while executions are in flight they wait,
# at most QUIET_WAIT_S, so they do not slow the programs being measured or the results being
# saved. Quiet starts QUIET_GRACE_S after the last execution ended (its caller still reads it).
QUIET_WAIT_S = 2.0
QUIET_GRACE_S = 0.03


@dataclass(frozen=True, slots=True)
class PoolSettings:
    base_targets: Mapping[Shape, int]
    # Upper bounds: per shape after demand growth, and over all idle sandboxes of this executor.
    max_per_shape: int = 16
    max_total: int = 64
    # Idle sandboxes older than this are replaced by fresh ones.
    idle_ttl_s: float = 900.0
    refill_parallelism: int = 2
    # Shapes first seen at run time start with this target (0 keeps them cold-start only); at most
    # max_demand_shapes of them are pooled at once (the least recently missed one makes room).
    new_shape_target: int = 1
    max_demand_shapes: int = 4
    # A reused sandbox is retired after this many executions.
    max_runs: int = 200
    # Taking a sandbox still warming up raises its shape's target up to this: more sandboxes help
    # back-to-back submissions while CPU is left for warming them, not when it is all taken.
    max_warming_target: int = 4
    # Socket buffers: how they are kept in check (cgroups.py), the v1 cgroup tree the executor
    # writes, and each sandbox's cap (at most its memory limit).
    socket_memory: SocketMemory = SocketMemory.charged
    cgroup_root: str = "/sys/fs/cgroup"
    socket_memory_mb: int = 16


class SandboxPool:
    def __init__(self, docker: aiodocker.Docker, options: BoxOptions, settings: PoolSettings) -> None:
        self._docker = docker
        self._options = options
        self._settings = settings
        self._idle: dict[Shape, deque[tuple[float, Box]]] = {}
        # Sandboxes that ran an execution cleanly and may serve another.
        self._reused: dict[Shape, deque[tuple[float, Box]]] = {}
        self._uids = UidAllocator()
        self._base: dict[Shape, int] = dict(settings.base_targets)
        self._targets: dict[Shape, int] = dict(settings.base_targets)
        self._creating: Counter[Shape] = Counter()
        self._misses_since_decay: Counter[Shape] = Counter()
        self._last_miss: dict[Shape, float] = {}
        self._wake = asyncio.Event()
        self._active = 0
        self._quiet_since = 0.0
        self._doomed: list[Box] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._runners: list[asyncio.Task[None]] = []
        self.stats: Counter[str] = Counter()

    async def start(self) -> None:
        self._runners = [
            asyncio.create_task(self._fill(), name="pool-fill"),
            asyncio.create_task(self._decay(), name="pool-decay"),
            asyncio.create_task(self._remove_used(), name="pool-remove"),
        ]

    async def close(self) -> None:
        for task in self._runners:
            task.cancel()
        await asyncio.gather(*self._runners, return_exceptions=True)
        idle = [box for queue in (*self._idle.values(), *self._reused.values()) for _, box in queue] + self._doomed
        self._idle.clear()
        self._reused.clear()
        self._doomed = []
        await asyncio.gather(*(box.destroy() for box in idle), return_exceptions=True)
        await self.drain()

    async def drain(self) -> None:
        """Wait for background removals (used at shutdown and by tests)."""
        doomed, self._doomed = self._doomed, []
        for box in doomed:
            self.spawn(self._destroy(box))
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def snapshot(self) -> dict[str, int]:
        """Counters for the executor's heartbeat (and later, metrics)."""
        return {
            "idle": self.idle_count(),
            "reused": sum(len(queue) for queue in self._reused.values()),
            "target": sum(self._targets.values()),
            "active": self._active,
            **{
                key: self.stats[key]
                for key in (
                    "hits",
                    "reuses",
                    "misses",
                    "unready",
                    "created",
                    "retired",
                    "expired",
                    "dead",
                    "create_errors",
                )
            },
        }

    def idle_count(self, shape: Shape | None = None) -> int:
        """Never-used sandboxes waiting (those that served before are counted in the snapshot)."""
        if shape is not None:
            return len(self._idle.get(shape, ()))
        return sum(len(queue) for queue in self._idle.values())

    async def acquire(self, shape: Shape, *, reuse: bool = True, demand: bool = True) -> tuple[Box, bool]:
        """A started sandbox of this shape, and whether it came warm from the pool. With reuse, a
        sandbox that already served others may come; without, only a never-used one. Without
        demand, a miss does not make the shape poolable or raise its target.

        Ready sandboxes first (one that served, then a never-used one), then the one warming up the
        longest. Every acquired sandbox must be given back to release()."""
        queues = [self._reused.get(shape), self._idle.get(shape)] if reuse else [self._idle.get(shape)]
        box = self._take(queues, ready_only=True) or self._take(queues, ready_only=False)
        if box is not None:
            if not box.ready:
                # It serves once warm; back-to-back demand wants one more of the shape warming.
                self.stats["unready"] += 1
                if demand and self._targets.get(shape, 0) < self._settings.max_warming_target:
                    self._misses_since_decay[shape] += 1
                    self._grow(shape)
            self._wake.set()
            # Its watcher stops when a run starts (Box.run).
            return box, True
        if demand:
            self.stats["misses"] += 1
            self._misses_since_decay[shape] += 1
            self._grow(shape)
            self._wake.set()
        return await self._create(shape), False

    def _take(self, queues: list[deque[tuple[float, Box]] | None], *, ready_only: bool) -> Box | None:
        """The first live sandbox of these queues (ready ones only, or the longest waiting of any);
        dead ones met on the way are retired."""
        best: tuple[float, deque[tuple[float, Box]], int] | None = None
        for queue in queues:
            index = 0
            while queue is not None and index < len(queue):
                since, box = queue[index]
                if not box.alive:
                    del queue[index]
                    self.stats["dead"] += 1
                    self._doomed.append(box)
                    continue
                if box.ready or not ready_only:
                    if ready_only:
                        best = (since, queue, index)
                        break
                    if best is None or since < best[0]:
                        best = (since, queue, index)
                index += 1
            if ready_only and best is not None:
                break
        if best is None:
            return None
        _, queue, index = best
        _, box = queue[index]
        del queue[index]
        self.stats["reuses" if box.runs else "hits"] += 1
        return box

    def release(self, box: Box, *, reusable: bool = False) -> None:
        """Back to the pool when the run allows it (clean, below max_runs), else destroyed in the
        background when executions quiet down."""
        if box.runs == 0 and box.alive:
            # Taken but never used (its execution ended first): still a fresh one.
            self._idle.setdefault(box.shape, deque()).appendleft((time.monotonic(), box))
            box.watch()
            return
        queue = self._reused.setdefault(box.shape, deque())
        if reusable and box.alive and box.runs < self._settings.max_runs and len(queue) < self._settings.max_per_shape:
            queue.append((time.monotonic(), box))
            box.watch()
            return
        if box.runs:
            self.stats["retired"] += 1
        self._doomed.append(box)

    @contextlib.asynccontextmanager
    async def activity(self) -> AsyncIterator[None]:
        """Mark an execution in flight (from its claim to its published result)."""
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._quiet_since = time.monotonic()

    def _is_quiet(self) -> bool:
        return self._active == 0 and time.monotonic() - self._quiet_since >= QUIET_GRACE_S

    async def _until_quiet(self) -> None:
        deadline = time.monotonic() + QUIET_WAIT_S
        # Quiet depends on elapsed time (the grace), not only on an event: poll briefly.
        while not self._is_quiet() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    async def _remove_used(self) -> None:
        while True:
            if not self._doomed:
                await asyncio.sleep(0.05)
                continue
            await self._until_quiet()
            doomed, self._doomed = self._doomed, []
            await asyncio.gather(*(self._destroy(box) for box in doomed), return_exceptions=True)

    def spawn(self, coro: object) -> None:
        """Run housekeeping in the background, tracked so shutdown can wait for it."""
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _create(self, shape: Shape) -> Box:
        uid = self._uids.take()
        try:
            with CONTAINER_START.time():
                box = await Box.launch(
                    self._docker,
                    container_config(shape, self._options, uid),
                    shape,
                    uid,
                    name=POOL_NAME_PREFIX + secrets.token_hex(8),
                )
        except BaseException:
            self._uids.give_back(uid)
            raise
        if self._settings.socket_memory is SocketMemory.capped:
            try:
                cap = min(shape.memory_mb, self._settings.socket_memory_mb) * MIB
                cap_socket_memory(Path(self._settings.cgroup_root), box.container.id, cap)
            except BaseException:
                await self._destroy(box)
                raise
        return box

    async def _destroy(self, box: Box) -> None:
        try:
            await box.destroy()
        finally:
            # Removed (or its removal retried in the background): the uid may serve again.
            self._uids.give_back(box.uid)

    def _grow(self, shape: Shape) -> None:
        if shape not in self._targets:
            demand = [s for s in self._targets if s not in self._base or not self._base[s]]
            if len(demand) >= self._settings.max_demand_shapes:
                # Make room: the demand shape missed longest ago stops being pooled.
                oldest = min(demand, key=lambda s: self._last_miss.get(s, 0.0))
                self._forget(oldest)
            self._targets[shape] = self._settings.new_shape_target
        elif self._targets[shape] < self._settings.max_per_shape:
            self._targets[shape] += 1
        self._last_miss[shape] = time.monotonic()

    def _forget(self, shape: Shape) -> None:
        del self._targets[shape]
        self._base.pop(shape, None)
        for queues in (self._idle, self._reused):
            for _, box in queues.pop(shape, deque()):
                self._doomed.append(box)

    def _deficits(self) -> list[tuple[bool, float, Shape]]:
        total = self.idle_count() + sum(self._creating.values())
        if total >= self._settings.max_total:
            return []
        needs = []
        for shape, target in self._targets.items():
            # Sandboxes that served and wait for more count too: no container is started while
            # reusable ones are idle.
            have = len(self._idle.get(shape, ())) + len(self._reused.get(shape, ())) + self._creating[shape]
            if have < target:
                # Configured shapes first, then the emptiest.
                needs.append((not self._base.get(shape), have / target, shape))
        return sorted(needs, key=lambda item: (item[0], item[1]))

    async def _fill(self) -> None:
        slots = asyncio.Semaphore(self._settings.refill_parallelism)
        waited = False
        while True:
            needs = self._deficits()
            if not needs:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 5.0)
                self._expire()
                continue
            shape = needs[0][2]
            if self._idle.get(shape) and not self._is_quiet() and not waited:
                # Not empty yet: refill once the running executions are done (or soon anyway).
                await self._until_quiet()
                waited = True
                continue
            waited = False
            await slots.acquire()
            self._creating[shape] += 1
            task = asyncio.create_task(self._refill(shape))
            task.add_done_callback(lambda _t: slots.release())

    async def _refill(self, shape: Shape) -> None:
        try:
            box = await self._create(shape)
        except Exception as exc:
            self.stats["create_errors"] += 1
            logger.warning("could not warm a sandbox of %s: %s", shape.image, exc)
            await asyncio.sleep(1.0)
            return
        finally:
            self._creating[shape] -= 1
        self.stats["created"] += 1
        self._idle.setdefault(shape, deque()).append((time.monotonic(), box))
        box.watch()
        self._wake.set()

    def _expire(self) -> None:
        deadline = time.monotonic() - self._settings.idle_ttl_s
        for queues in (self._idle, self._reused):
            for queue in queues.values():
                while queue and queue[0][0] < deadline:
                    _, box = queue.popleft()
                    self.stats["expired"] += 1
                    self._doomed.append(box)

    async def _decay(self) -> None:
        """Shapes without misses for a while shrink back towards their base target."""
        while True:
            await asyncio.sleep(DECAY_INTERVAL_S)
            for shape, target in list(self._targets.items()):
                if not self._misses_since_decay[shape] and target > self._base.get(shape, 0):
                    self._targets[shape] = target - 1
                    queue = self._idle.get(shape)
                    if queue and len(queue) > self._targets[shape]:
                        self._doomed.append(queue.pop()[1])
            self._misses_since_decay.clear()
