"""Piston's interactive protocol (``WS /api/v2/connect``) on our interactive executions.

Client frames: ``{"type": "init", ...the execute fields...}`` within INIT_TIMEOUT_S of the
connection, then ``{"type": "data", "stream": "stdin", "data": "..."}`` and ``{"type": "signal",
"signal": "SIGTERM"}``. Server frames: ``runtime``, then ``stage``, ``data`` and ``exit`` frames per
stage, then the socket closes 4999 "Job Completed"; an ``error`` frame is followed by 4002
"Notified Error". The close codes and reasons are api/v2.js's. The executor can only kill a
program, so every signal Piston accepts kills it (docs/compat.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError

from services.gateway.auth.access import ExecutionsWriteSocket
from services.gateway.compat.piston.runtimes import catalogue
from services.gateway.compat.piston.service import Outcome, bad_request, message_of, read_job, result_outcome
from services.gateway.deps import StateDep
from services.gateway.executions import submission
from services.gateway.executions.interactive import InputStream
from services.gateway.executions.queueing import enqueue, versions_or_empty
from services.gateway.executions.service import prepare_execution
from services.gateway.executions.stream import FrameWriter, serve_events
from services.gateway.ratelimit.wiring import admit_execution
from services.gateway.state import GatewayState
from shared.db.records import execution_job
from shared.events import Event, EventType
from shared.interactive import INPUT_BYTES, INPUT_DATA, INPUT_KILL, INPUT_KIND
from shared.problems import ProblemError
from shared.redis_keys import execution_input

# Piston closes a socket that sent no init within a second of connecting (counted here from when
# the caller was admitted: resolving an API key is not the client's time).
INIT_TIMEOUT_S = 1.0

# api/v2.js's close codes and reasons.
JOB_COMPLETED = (4999, "Job Completed")
ALREADY_INITIALIZED = (4000, "Already Initialized")
INITIALIZATION_TIMEOUT = (4001, "Initialization Timeout")
NOTIFIED_ERROR = (4002, "Notified Error")
NOT_YET_INITIALIZED = (4003, "Not yet initialized")
ONLY_STDIN = (4004, "Can only write to stdin")
INVALID_SIGNAL = (4005, "Invalid signal")

# The values of Piston's globals.SIGNALS, the names a signal frame may carry.
_NUMBERED = (
    "SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE "
    "SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ SIGVTALRM "
    "SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS SIGRTMIN"
)
SIGNALS = frozenset(
    [
        *_NUMBERED.split(" "),
        *(f"SIGRTMIN+{n}" for n in range(1, 16)),
        *(f"SIGRTMAX-{n}" for n in range(1, 15)),
        "SIGRTMAX",
    ]
)
_STAGES = ("compile", "run")


class Channel:
    """Frames out one at a time, nothing after the close, and one close only (whichever of the
    relay and the client's frames ends the session first)."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._lock = asyncio.Lock()
        self.closed = False

    async def send(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        async with self._lock:
            if not self.closed:
                await self._websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self._websocket.close(code, reason)

    async def notify_error(self, problem: ProblemError) -> None:
        # As v2.js: the message in an error frame (close reasons are short), then 4002.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send({"type": "error", "message": message_of(problem)[1]})
        await self.close(*NOTIFIED_ERROR)


class PistonFrames(FrameWriter):
    """Our events as Piston's frames: status -> ``stage``, output -> ``data``, and the result ->
    an ``exit`` per stage. A run stage starting means the compile stage exited 0 (Piston runs only
    then), so its ``exit`` goes out there, as Piston sends it."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel.send, "text")
        self._channel = channel
        self._stage: str | None = None
        self._compile_exited = False

    async def event(self, event: Event, result: dict[str, Any] | None = None) -> None:
        self.last_seq = event.seq
        if event.type is EventType.status and event.phase in _STAGES:
            if event.phase == "run" and self._stage == "compile" and not self._compile_exited:
                await self._exit("compile", Outcome(0, None, None, None))
            self._stage = event.phase
            await self._channel.send({"type": "stage", "stage": event.phase})
        elif event.type in (EventType.stdout, EventType.stderr):
            data = self._encode(event)
            if data:
                await self._channel.send({"type": "data", "stream": event.type.value, "data": data})
        elif event.is_final:
            await self._result(result or {})

    async def _exit(self, stage: str, ended: Outcome) -> None:
        self._compile_exited = self._compile_exited or stage == "compile"
        await self._channel.send({"type": "exit", "stage": stage, "code": ended.code, "signal": ended.signal})

    async def _result(self, result: dict[str, Any]) -> None:
        compiled, ran = result.get("compile"), result.get("run")
        if compiled and not self._compile_exited:
            await self._exit("compile", result_outcome(compiled))
        if ran:
            await self._exit("run", result_outcome(ran))
        if not compiled and not ran:
            # Nothing ran (an internal error before any stage): Piston's answer to a failed job.
            failure = result.get("message") or "the execution failed"
            await self._channel.notify_error(ProblemError(500, "internal-error", "Internal error", failure))


def _decode(message: Mapping[str, Any]) -> Any:
    raw = message.get("text") if message.get("text") is not None else message.get("bytes")
    try:
        frame = json.loads(raw or "")
    except (ValueError, RecursionError):
        raise bad_request("the frame is not valid JSON") from None
    if frame is None:
        raise bad_request("a frame must be a JSON object")
    return frame


def _kind(frame: Any) -> Any:
    # Frames that are not objects have no type, and are ignored as Piston ignores them.
    return frame.get("type") if isinstance(frame, dict) else None


async def _await_init(websocket: WebSocket, channel: Channel) -> dict[str, Any] | None:
    """The init frame, or None once the socket was closed as v2.js closes it."""
    deadline = asyncio.get_running_loop().time() + INIT_TIMEOUT_S
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                message = await websocket.receive()
        except TimeoutError:
            await channel.close(*INITIALIZATION_TIMEOUT)
            return None
        if message["type"] == "websocket.disconnect":
            return None
        try:
            frame = _decode(message)
        except ProblemError as problem:
            await channel.notify_error(problem)
            return None
        kind = _kind(frame)
        if kind == "init":
            init: dict[str, Any] = frame
            return init
        if kind in ("data", "signal"):
            await channel.close(*NOT_YET_INITIALIZED)
            return None


async def _pump(websocket: WebSocket, state: GatewayState, execution_id: uuid.UUID, channel: Channel) -> None:
    """The client's frames once initialized: stdin and signals to the input Stream, until the
    client leaves or breaks the protocol; the program is then killed (nobody can read it)."""
    stream = InputStream(state, execution_id)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            frame = _decode(message)
            kind = _kind(frame)
            if kind == "init":
                await channel.close(*ALREADY_INITIALIZED)
                break
            if kind == "data":
                if frame.get("stream") != "stdin":
                    await channel.close(*ONLY_STDIN)
                    break
                data = frame.get("data")
                if not isinstance(data, str):
                    raise bad_request("data must be a string")
                entry = {INPUT_KIND: INPUT_DATA, INPUT_BYTES: data.encode(errors="replace")}
            elif kind == "signal":
                if frame.get("signal") not in SIGNALS:
                    await channel.close(*INVALID_SIGNAL)
                    break
                entry = {INPUT_KIND: INPUT_KILL}
            else:
                continue
            stream.budget.charge(len(entry.get(INPUT_BYTES, b"")))
            await stream.push(entry)
    except ProblemError as problem:
        await channel.notify_error(problem)
    await stream.kill()


async def connect(websocket: WebSocket, state: StateDep, access: ExecutionsWriteSocket) -> None:
    await websocket.accept()
    channel = Channel(websocket)
    # Bad credentials close 4401 / 4403 as on every socket; refusals by the policy are Piston errors.
    principal = await access.admit(websocket, channel.notify_error)
    if principal is None:
        return
    init = await _await_init(websocket, channel)
    if init is None:
        return
    try:
        versions = await versions_or_empty(state)
        job = read_job(init, catalogue(versions), state.settings, principal.user_id, interactive=True)
        execution = await prepare_execution(
            job.payload, state.settings, versions, interactive=True, user_id=principal.user_id
        )
        execution.api_options = job.api_options()
        reservation = await admit_execution(websocket, state)
    except ProblemError as problem:
        await channel.notify_error(problem)
        return
    await submission.persist_reserved(state, execution, reservation)
    execution_id = execution.id
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await channel.send({"type": "runtime", "language": job.runtime.language, "version": job.runtime.version})
    await enqueue(state, execution_id, execution_job(execution), reservation)
    finished = await serve_events(
        state,
        websocket,
        execution_id,
        PistonFrames(channel),
        _pump(websocket, state, execution_id, channel),
        close_code=JOB_COMPLETED[0],
        close_reason=JOB_COMPLETED[1],
    )
    if finished:
        with contextlib.suppress(RedisError, OSError):
            await state.redis.delete(execution_input(execution_id))
