"""One hardened sandbox container and the agent session inside it.

Hardening follows ../shared/reference/security.md: no network, all capabilities dropped,
no-new-privileges with the project's own seccomp profile (seccomp.py), read-only root, a host uid
of its own (uids.py), memory == memory+swap, socket buffers capped (cgroups.py), CPU quota, pids
limit, rlimits, private IPC and cgroup namespaces, no logs kept, an allow-listed environment, and
labels so anything left over can be found and removed. Inside, the agent runs each execution in a
cell with fresh namespaces and mounts (deploy/images/agent/agent.c); a container serves one
execution at a time, and may serve many in turn (pool.py decides). The host never reads or writes
a sandbox path: files travel only through the agent's frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiodocker
from aiodocker.containers import DockerContainer
from aiodocker.stream import Stream
from yarl import URL

from services.executor.sandbox import protocol
from services.executor.sandbox.protocol import Artifact, ExitRecord, FrameDecoder, ProtocolError
from shared.executions import Limits, add_to_order

MIB = 1 << 20
# The agent (and each execution's cell) live in the same cgroup as the program: leave them room
# beyond the program's limit.
AGENT_MEMORY_HEADROOM = 8 * MIB
# The agent and the execution's cell.
AGENT_PROCESSES = 2
# gVisor's own threads (its kernel and the stubs running the program's threads) count in the
# container's pids cgroup; gVisor enforces the program's limit itself.
GVISOR_PIDS_HEADROOM = 128
TMPFS_INODES = 16384
STOP_WAIT_S = 2.0
SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAX_AGENT_STDERR = 4096

LABEL_ROLE = "coderunhub.role"
LABEL_EXECUTOR = "coderunhub.executor"
LABEL_UID = "coderunhub.uid"
# Which queue (Redis) the owning executor serves: sweepers only reap sandboxes of executors they
# can see die, i.e. of their own queue; suites sharing one engine (make run, make test, a bench)
# never touch each other's.
LABEL_QUEUE = "coderunhub.queue"
ROLE_SANDBOX = "sandbox"

OutputCallback = Callable[[str, bytes], None]
logger = logging.getLogger("coderunhub.executor.sandbox")
# Background removals still running; referenced so they are not garbage-collected mid-way.
_cleanups: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class BoxOptions:
    """Host-level settings of every sandbox an executor starts."""

    executor_id: str
    runtime: str
    nano_cpus: int
    work_size_mb: int
    tmp_size_mb: int
    # The container's seccomp profile as JSON (seccomp.profile_json()).
    seccomp_profile: str
    # queue_label() of the executor's Redis.
    queue: str = ""
    shm_size_mb: int = 16
    # Loopback networking inside each execution's network namespace; off where socket buffers
    # cannot be capped (cgroups.py).
    loopback: bool = True
    # Container-wide ceilings; the agent applies each program's own, lower limits.
    max_file_size_kb: int = 262_144
    max_cpu_time_ms: int = 60_000

    @property
    def gvisor(self) -> bool:
        return self.runtime.startswith("runsc")


@dataclass(frozen=True, slots=True)
class Shape:
    """What a container fixes at creation: sandboxes of one shape are interchangeable."""

    image: str
    memory_mb: int
    processes: int
    # Zygote mode: the interpreter (and its environment) each cell starts before its program.
    zygote: tuple[str, ...] = ()
    zygote_env: tuple[str, ...] = ()

    @classmethod
    def of(cls, image: str, limits: Limits, zygote: tuple[str, ...] = (), zygote_env: tuple[str, ...] = ()) -> Shape:
        return cls(image, limits.memory_mb, limits.processes, zygote, zygote_env)

    def command(self, options: BoxOptions) -> list[str]:
        command = [
            "/opt/crh/agent",
            "--work-mb",
            str(options.work_size_mb),
            "--tmp-mb",
            str(options.tmp_size_mb),
            "--shm-mb",
            str(options.shm_size_mb),
            "--inodes",
            str(TMPFS_INODES),
        ]
        if options.loopback:
            command.append("--loopback")
        if options.gvisor:
            command.append("--rusage-cpu")
        if self.zygote:
            for entry in self.zygote_env:
                command += ["--env", entry]
            command += ["--zygote", *self.zygote]
        return command


def container_config(shape: Shape, options: BoxOptions, uid: int) -> dict[str, Any]:
    memory = shape.memory_mb * MIB + AGENT_MEMORY_HEADROOM
    file_size = options.max_file_size_kb * 1024
    cpu_seconds = math.ceil(options.max_cpu_time_ms / 1000) + 2
    return {
        "Image": shape.image,
        "Cmd": shape.command(options),
        # A host uid no other sandbox has: per-user kernel quotas (inotify, pipe buffers, message
        # queues, locked memory, queued signals, in-flight descriptors) are this sandbox's own.
        "User": f"{uid}:{uid}",
        # Not the container id: nothing about the host or the platform shows inside.
        "Hostname": "sandbox",
        "WorkingDir": "/",
        "Env": [f"PATH={SANDBOX_PATH}", "HOME=/work", "LANG=C.UTF-8"],
        "NetworkDisabled": True,
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "OpenStdin": True,
        "StdinOnce": True,
        "Tty": False,
        "Labels": {
            LABEL_ROLE: ROLE_SANDBOX,
            LABEL_EXECUTOR: options.executor_id,
            LABEL_UID: str(uid),
            LABEL_QUEUE: options.queue,
        },
        "HostConfig": {
            "NetworkMode": "none",
            "CapDrop": ["ALL"],
            "SecurityOpt": ["no-new-privileges:true", f"seccomp={options.seccomp_profile}"],
            "ReadonlyRootfs": True,
            # No tmpfs here: each execution's cell mounts its own /work, /tmp and /dev/shm.
            # Unmasked /proc: the cell mounts a /proc of its own PID namespace (impossible over a
            # masked one) and masks the same paths there; the agent is the only process that
            # ever sees the container's.
            "MaskedPaths": [],
            "ReadonlyPaths": [],
            "CgroupnsMode": "private",
            "Memory": memory,
            "MemorySwap": memory,
            "NanoCpus": options.nano_cpus,
            "PidsLimit": shape.processes + AGENT_PROCESSES + (GVISOR_PIDS_HEADROOM if options.gvisor else 0),
            "Ulimits": [
                {"Name": "nofile", "Soft": 512, "Hard": 512},
                {"Name": "fsize", "Soft": file_size, "Hard": file_size},
                {"Name": "core", "Soft": 0, "Hard": 0},
                {"Name": "cpu", "Soft": cpu_seconds, "Hard": cpu_seconds + 1},
            ],
            # No docker-init: the agent is PID 1, so it reaps every orphan and its exit ends every
            # other process.
            "Init": False,
            "IpcMode": "private",
            "ShmSize": MIB,
            # Each program raises itself to 1000; the agent and its cells stay lower, so an OOM
            # picks the program.
            "OomScoreAdj": 500,
            "LogConfig": {"Type": "none", "Config": {}},
            "Runtime": options.runtime,
            "Privileged": False,
            "AutoRemove": False,
        },
    }


@dataclass(slots=True)
class BoxResult:
    record: ExitRecord | None = None
    error: str | None = None
    # The submission could not be set up (e.g. its files do not fit): the submitter's error.
    user_error: str | None = None
    started: bool = False
    timed_out: bool = False
    oom_killed: bool = False
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    # How the kept stdout and stderr bytes arrived (shared.executions.RunRecord.output_order).
    output_order: list[int] = field(default_factory=list)
    output_exceeded: bool = False
    artifacts: list[Artifact] = field(default_factory=list)
    # The program was killed because its execution was cancelled (Program.stop).
    cancelled: bool = False

    @property
    def clean(self) -> bool:
        """The agent reported normally and nothing happened that could leave the container odd."""
        record = self.record
        return record is not None and self.error is None and not self.timed_out and record.oom_kills == 0


@dataclass(frozen=True, slots=True)
class Program:
    files: Sequence[tuple[str, bytes, int]]
    argv: Sequence[str]
    env: Mapping[str, str]
    limits: Limits
    stdin: bytes = b""
    collect: Sequence[str] = ()
    artifact_max_bytes: int = 64 * MIB
    # Files a compile phase produced, passed on as the agent sent them.
    artifacts: Sequence[Artifact] = ()
    # Interactive programs: agent frames (stdin, end of input, kill) forwarded while the program runs;
    # stdin stays open until the feed says otherwise.
    stdin_feed: Callable[[], AsyncIterator[bytes]] | None = None
    # Set when the execution is cancelled: the program is killed (or, when set before the run, the
    # runner does not start it).
    stop: asyncio.Event | None = None


class Box:
    """A created, attached and started sandbox container; destroy() removes every trace of it.

    It runs one program at a time; each run gets a fresh cell (namespaces, mounts) from the agent,
    so the pool may hand a box that ran cleanly to the next execution. Between runs, the agent says
    when its next cell is ready (in zygote mode: its interpreter warmed up); watch() listens for
    that while the box waits in the pool, and `ready` tells."""

    def __init__(self, container: DockerContainer, stream: Stream, shape: Shape, uid: int) -> None:
        self.container = container
        self.stream = stream
        self.shape = shape
        self.uid = uid
        self.runs = 0
        self.ready = False
        # Kept across runs: what the agent sends after an exit record (its next cell's ready frame)
        # may arrive in the same message as the record.
        self._decoder = FrameDecoder(max_frame=0)
        self._broken = False
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    async def launch(
        cls, docker: aiodocker.Docker, config: dict[str, Any], shape: Shape, uid: int, name: str | None = None
    ) -> Box:
        container = await docker.containers.create(config, name=name)
        try:
            stream = _attach(docker, container)
            # Attach before start: nothing the agent writes can be missed.
            await stream._init()
            await container.start()
        except BaseException:
            await _remove(container)
            raise
        return cls(container, stream, shape, uid)

    @property
    def alive(self) -> bool:
        """False once the container's agent is gone (its attach stream ended)."""
        queue = self.stream._queue
        return not self._broken and not self.stream._closed and queue is not None and not queue.is_eof()

    def watch(self) -> None:
        """Listen for the agent's ready frame while the box waits (until it comes or a run starts)."""
        if self._watcher is None and not self.ready and self.alive:
            self._watcher = asyncio.create_task(self._await_ready(), name=f"ready-{self.container.id[:12]}")

    async def unwatch(self) -> None:
        """Stop listening: the stream has one reader, and a run is about to be it."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _await_ready(self) -> None:
        self._decoder.max_frame = 0
        try:
            frames = list(self._decoder.feed(b""))
            while not frames:
                message = await self.stream.read_out()
                if message is None:
                    return  # the agent is gone: `alive` says so
                if message.stream == 1:
                    frames = list(self._decoder.feed(message.data))
            if any(kind != protocol.READY for kind, _ in frames):
                raise ProtocolError(f"unexpected frames between runs: {[kind for kind, _ in frames]}")
        except ProtocolError:
            logger.warning("sandbox %s: protocol error between runs, retired", self.container.id[:12], exc_info=True)
            self._broken = True
            return
        self.ready = True

    async def assign(self, execution_id: str, phase: str) -> None:
        """Name the sandbox after its execution, so a leftover can be traced to one."""
        with contextlib.suppress(aiodocker.DockerError):
            await self.container.rename(f"crh-{execution_id}-{phase}")

    async def destroy(self) -> None:
        """Remove the container; a result already read is never lost to a cleanup failure."""
        await self.unwatch()
        with contextlib.suppress(Exception):
            # End of input makes the agent exit (killing whatever is left): the container stops by
            # itself, and the removal needs no kill, which saves the engine a runtime invocation.
            await self.stream.close()
            async with asyncio.timeout(STOP_WAIT_S):
                await self.container.wait()
        try:
            await _remove(self.container)
        except aiodocker.DockerError:
            logger.exception("removing sandbox %s failed; retrying in the background", self.container.id)
            task = asyncio.create_task(_remove(self.container, attempts=30))
            _cleanups.add(task)
            task.add_done_callback(_cleanups.discard)

    async def run(self, program: Program, on_output: OutputCallback, grace_s: float) -> BoxResult:
        result = BoxResult()
        await self.unwatch()
        self.ready = False
        self.runs += 1
        try:
            for chunk in _setup_frames(program):
                await self._write(chunk)
        except ConnectionError as exc:
            result.error = f"the sandbox is not reachable: {exc}"
            return result
        feeder = asyncio.create_task(self._feed(program.stdin_feed)) if program.stdin_feed else None
        stopper = asyncio.create_task(self._kill_on(program.stop, result)) if program.stop else None
        deadline = program.limits.wall_time_ms / 1000 + grace_s
        try:
            async with asyncio.timeout(deadline):
                await self._read(program, result, on_output)
        except TimeoutError:
            result.timed_out = True
            result.error = "the sandbox did not finish within its wall-time limit"
        except ProtocolError as exc:
            result.error = f"sandbox protocol error: {exc}"
        finally:
            # Cancelled before anything awaits: a kill written after NEXT would hit the next run.
            helpers = [task for task in (stopper, feeder) if task is not None]
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        if result.record is not None:
            # Input frames of this run still on their way are dropped by the agent up to here.
            try:
                await self._write(protocol.frame(protocol.NEXT))
            except ConnectionError as exc:
                result.error = f"the sandbox is not reachable: {exc}"
        if result.record is None and not result.timed_out:
            # The agent is gone without an exit record: the kernel's OOM killer is the usual cause.
            with contextlib.suppress(Exception):
                info = await self.container.show()
                result.oom_killed = bool(info.get("State", {}).get("OOMKilled"))
        return result

    async def _write(self, data: bytes) -> None:
        """Write to the agent; a connection that closed under aiodocker's stream (whose own checks
        are assertions) is a ConnectionError."""
        try:
            await self.stream.write_in(data)
        except (ConnectionError, RuntimeError, OSError, AssertionError, AttributeError) as exc:
            raise ConnectionError(str(exc) or "the attach connection closed") from exc

    async def _kill_on(self, stop: asyncio.Event, result: BoxResult) -> None:
        await stop.wait()
        result.cancelled = True
        with contextlib.suppress(ConnectionError):
            await self._write(protocol.frame(protocol.KILL))

    async def _feed(self, feed: Callable[[], AsyncIterator[bytes]]) -> None:
        async for frame in feed():
            await self._write(frame)

    async def _read(self, program: Program, result: BoxResult, on_output: OutputCallback) -> None:
        limit = program.limits.output_bytes
        # An artifact frame: its data, its name and mode, and up to 256 extent headers.
        decoder = self._decoder
        decoder.max_frame = max(program.artifact_max_bytes, 1 * MIB) + 8192
        agent_stderr = bytearray()
        data = b""
        while True:
            for kind, payload in decoder.feed(data):
                if kind == protocol.READY:
                    # The cell this run uses said it was ready just as the request went out.
                    continue
                if kind in (protocol.STDOUT, protocol.STDERR):
                    name, buf = ("stdout", result.stdout) if kind == protocol.STDOUT else ("stderr", result.stderr)
                    room = limit - len(buf)
                    if len(payload) > room:
                        # The agent enforces the cap; this side never trusts it to.
                        payload = payload[: max(room, 0)]
                        if not result.output_exceeded:
                            result.output_exceeded = True
                            await self._write(protocol.frame(protocol.KILL))
                    if payload:
                        buf.extend(payload)
                        add_to_order(result.output_order, len(payload) if kind == protocol.STDOUT else -len(payload))
                        on_output(name, payload)
                elif kind == protocol.STARTED:
                    result.started = True
                elif kind == protocol.SPARSE_FILE:
                    artifact = protocol.parse_sparse_file(payload)
                    if sum(a.data_bytes for a in result.artifacts) + artifact.data_bytes > program.artifact_max_bytes:
                        raise ProtocolError("artifacts beyond the announced limit")
                    result.artifacts.append(artifact)
                elif kind == protocol.USER_ERROR:
                    result.user_error = payload.decode(errors="replace")[:1000]
                elif kind == protocol.EXIT:
                    # Anything after it is the next cell's (watch() checks it is a ready frame).
                    result.record = ExitRecord.parse(payload)
                    return
                elif kind == protocol.ERROR:
                    result.error = payload.decode(errors="replace")[:1000]
                    return
                else:
                    raise ProtocolError(f"unexpected frame type {kind!r}")
            message = await self.stream.read_out()
            if message is None:
                if result.error is None:
                    detail = agent_stderr.decode(errors="replace").strip()
                    result.error = "the sandbox agent exited without a result" + (f": {detail}" if detail else "")
                return
            if message.stream == 2:
                agent_stderr.extend(message.data[: MAX_AGENT_STDERR - len(agent_stderr)])
                data = b""
                continue
            data = message.data


def _setup_frames(program: Program) -> list[bytes]:
    """The request's frames, in a few writes: large artifacts are not copied into one buffer."""
    parts = [protocol.file_frame(name, content, mode) for name, content, mode in program.files]
    chunks: list[bytes] = []
    for artifact in program.artifacts:
        chunks.append(protocol.HEADER.pack(protocol.SPARSE_FILE, len(artifact.payload)))
        chunks.append(artifact.payload)
    parts += [protocol.frame(protocol.ARG, arg.encode()) for arg in program.argv]
    parts += [protocol.frame(protocol.ENV, f"{key}={value}".encode()) for key, value in program.env.items()]
    limits = program.limits
    parts.append(
        protocol.frame(
            protocol.LIMITS,
            f"{limits.cpu_time_ms} {limits.wall_time_ms} {limits.output_bytes} {program.artifact_max_bytes}"
            f" {limits.file_size_kb * 1024}".encode(),
        )
    )
    parts += [protocol.frame(protocol.COLLECT, path.encode()) for path in program.collect]
    parts.append(protocol.frame(protocol.GO))
    if program.stdin:
        parts.append(protocol.frame(protocol.STDIN, program.stdin))
    if program.stdin_feed is None:
        parts.append(protocol.frame(protocol.STDIN_EOF))
    return [*chunks, b"".join(parts)] if chunks else [b"".join(parts)]


def _attach(docker: aiodocker.Docker, container: DockerContainer) -> Stream:
    """An attach stream, like DockerContainer.attach but without its extra inspect call (the
    sandbox is never a TTY): one engine request less per sandbox."""

    async def setup() -> tuple[URL, bytes | None, bool]:
        query = {"detachKeys": "", "logs": "0", "stdin": "1", "stdout": "1", "stderr": "1", "stream": "1"}
        return URL(f"containers/{container.id}/attach").with_query(query), None, False

    return Stream(docker, setup, docker._resolve_long_running_timeout(None))


async def _remove(container: DockerContainer, attempts: int = 5) -> None:
    for attempt in range(attempts):
        try:
            await container.delete(force=True, v=True)
            return
        except aiodocker.DockerError as exc:
            if exc.status == 404:
                return
            # The engine refuses while the container is exiting on its own ("is not running",
            # "removal already in progress"): a moment later the removal goes through.
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


def queue_label(redis_url: str) -> str:
    """A stable name for a Redis database (host, port, database; never the password)."""
    url = URL(redis_url)
    where = f"{url.host}:{url.port}{url.path or '/0'}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


async def sandbox_owners(docker: aiodocker.Docker, queue: str) -> set[str]:
    """Executor ids that own sandboxes of this queue on this engine."""
    labels = [f"{LABEL_ROLE}={ROLE_SANDBOX}", f"{LABEL_QUEUE}={queue}"]
    containers = await docker.containers.list(all=True, filters={"label": labels})
    return {c._container.get("Labels", {}).get(LABEL_EXECUTOR, "") for c in containers} - {""}


async def remove_sandboxes(docker: aiodocker.Docker, executor_id: str | None = None) -> int:
    """Remove sandboxes left by a dead executor (this one after a crash, when executor_id is given)."""
    label_filters = [f"{LABEL_ROLE}={ROLE_SANDBOX}"]
    if executor_id is not None:
        label_filters.append(f"{LABEL_EXECUTOR}={executor_id}")
    containers = await docker.containers.list(all=True, filters={"label": label_filters})
    for container in containers:
        await _remove(container)
    return len(containers)
