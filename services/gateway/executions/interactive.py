"""Interactive executions over one WebSocket: the request, then stdin while the program runs.

Client frames: ``{"type": "start", ...execution request...}`` first; then
``{"type": "stdin", "data": "...", "encoding": "text"|"base64"}`` (binary frames are stdin bytes
too), ``{"type": "eof"}`` and ``{"type": "kill"}``. Server frames: ``{"type": "created",
"execution": {...}}``, then the same frames as the stream endpoint, ending with ``result``.
Input travels through a Redis Stream that the executor reads (see shared/interactive.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from redis.exceptions import RedisError

from services.gateway.auth.access import ExecutionsWriteSocket
from services.gateway.deps import StateDep
from services.gateway.executions import cancel, service, submission
from services.gateway.executions.queueing import enqueue, versions_or_empty
from services.gateway.executions.schemas import ExecutionCreate, ExecutionOut
from services.gateway.executions.stream import (
    CLOSE_BAD_REQUEST,
    CLOSE_TOO_LARGE,
    CLOSE_TOO_MANY,
    CLOSE_UNAVAILABLE,
    FrameWriter,
    Send,
    json_sender,
    serve_events,
)
from services.gateway.ratelimit.wiring import admit_execution
from services.gateway.state import GatewayState
from shared.db.records import execution_job, execution_record
from shared.interactive import (
    INPUT_BYTES,
    INPUT_CANCEL,
    INPUT_DATA,
    INPUT_EOF,
    INPUT_KILL,
    INPUT_KIND,
    INPUT_TTL_S,
)
from shared.problems import FieldError, ProblemError, ValidationProblem
from shared.redis_keys import execution_input
from shared.settings import GatewaySettings

logger = logging.getLogger("coderunhub.gateway.interactive")

router = APIRouter(prefix="/v1/executions", tags=["executions"])


class InputBudget:
    """What one session may push into its input Stream: max_stdin_bytes, where every frame costs at
    least interactive_input_frame_cost_bytes (end of input, kill, empty and unparseable frames
    too), and at most interactive_max_input_frames frames."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.bytes_left = settings.max_stdin_bytes
        self.frames_left = settings.interactive_max_input_frames
        self._frame_cost = settings.interactive_input_frame_cost_bytes
        self._detail = (
            f"at most {settings.max_stdin_bytes} bytes of input (each frame counting at least "
            f"{self._frame_cost}) in at most {settings.interactive_max_input_frames} frames are accepted"
        )

    def charge(self, data_bytes: int) -> None:
        self.bytes_left -= max(data_bytes, self._frame_cost)
        self.frames_left -= 1
        if self.bytes_left < 0 or self.frames_left < 0:
            raise ProblemError(413, "content-too-large", "Input too large", self._detail)


def _problem(error: ProblemError) -> dict[str, Any]:
    problem: dict[str, Any] = {"title": error.title, "status": error.status, "detail": error.detail}
    if error.errors:
        problem["errors"] = [e.model_dump() for e in error.errors]
    # A socket has no response headers: when to try again (429, 503) travels in the frame.
    retry_after = error.headers.get("Retry-After")
    if retry_after is not None and retry_after.isdigit():
        problem["retry_after"] = int(retry_after)
    return {"type": "error", "problem": problem}


# A refusal's close code follows its HTTP status (4400 for any other 4xx).
_CLOSE_CODES = {413: CLOSE_TOO_LARGE, 429: CLOSE_TOO_MANY, 503: CLOSE_UNAVAILABLE}


async def _refuse(websocket: WebSocket, send: Send, error: ProblemError) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await send(_problem(error))
        await websocket.close(_CLOSE_CODES.get(error.status, CLOSE_BAD_REQUEST), error.title)


def _parse_start(message: object) -> ExecutionCreate:
    if not isinstance(message, dict) or message.get("type") != "start":
        raise ProblemError(400, "bad-request", "Bad request", 'the first frame must be {"type": "start", ...}')
    fields = {key: value for key, value in message.items() if key != "type"}
    try:
        return ExecutionCreate.model_validate(fields)
    except ValidationError as exc:
        errors = [
            FieldError(loc=["start", *[str(p) for p in err["loc"]]], msg=err["msg"], type=err["type"])
            for err in exc.errors()
        ]
        raise ValidationProblem(errors) from exc


class InputStream:
    """An interactive execution's input Stream (read by the executor), written within the
    session's InputBudget: what the native and Piston sockets push their clients' input into."""

    def __init__(self, state: GatewayState, execution_id: uuid.UUID) -> None:
        self._redis = state.redis
        self._key = execution_input(execution_id)
        self.budget = InputBudget(state.settings)
        # The budget caps the frames; the Stream's own bound only backs that up.
        self._maxlen = state.settings.interactive_max_input_frames + 1

    async def push(self, entry: dict[bytes, bytes]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self._key, entry, maxlen=self._maxlen, approximate=False)  # type: ignore[arg-type]
            pipe.expire(self._key, INPUT_TTL_S)
            await pipe.execute()

    async def kill(self) -> None:
        """The client left or was refused: a program waiting for input should not hold its sandbox.
        Input not yet read no longer matters, so only the kill stays (until the executor reads it)."""
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.xadd(self._key, {INPUT_KIND: INPUT_KILL})
                pipe.xtrim(self._key, maxlen=1, approximate=False)
                pipe.expire(self._key, INPUT_TTL_S)
                await pipe.execute()


# The cancellations a user's Stop started (kept referenced until done).
_stopping: set[asyncio.Task[None]] = set()


async def _cancel_on_request(state: GatewayState, execution_id: uuid.UUID) -> None:
    """The user's Stop of a session still waiting in the queue, where no executor reads its input
    yet: taken off the queue and finished cancelled (the client gets the result frame). Once an
    executor holds it, the kill in the input Stream ends the program as it starts. Not the full
    cancel route: its cancel message reaching an executor as an interactive program starts was
    seen to end the execution "internal error" (the executor's retry path), not cancelled."""
    with contextlib.suppress(RedisError, OSError):
        await cancel.take_if_queued(state, execution_id)


async def _pump_input(websocket: WebSocket, state: GatewayState, execution_id: uuid.UUID, send: Send) -> None:
    """Forward client input to the execution's input Stream until the client goes away."""
    stream = InputStream(state, execution_id)
    stopping = False
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            entry = _input_entry(message)
            stream.budget.charge(len(entry.get(INPUT_BYTES, b"")) if entry else 0)
            if entry is None:
                await send({"type": "error", "problem": {"title": "Bad frame", "status": 400}})
                continue
            await stream.push(entry)
            if entry[INPUT_KIND] == INPUT_CANCEL and not stopping:
                stopping = True
                task = asyncio.create_task(_cancel_on_request(state, execution_id))
                _stopping.add(task)
                task.add_done_callback(_stopping.discard)
    except ProblemError as refusal:
        await _refuse(websocket, send, refusal)
    await stream.kill()


def _input_entry(message: Mapping[str, Any]) -> dict[bytes, bytes] | None:
    if message.get("bytes") is not None:
        return {INPUT_KIND: INPUT_DATA, INPUT_BYTES: message["bytes"]}
    try:
        frame = json.loads(message.get("text") or "")
    except ValueError:
        return None
    kind = frame.get("type") if isinstance(frame, dict) else None
    if kind == "eof":
        return {INPUT_KIND: INPUT_EOF}
    if kind == "kill":
        # The user's Stop: the execution ends cancelled.
        return {INPUT_KIND: INPUT_CANCEL}
    if kind != "stdin" or not isinstance(frame.get("data"), str):
        return None
    try:
        data = base64.b64decode(frame["data"], validate=True) if frame.get("encoding") == "base64" else None
        data = frame["data"].encode() if data is None else data
    except (binascii.Error, UnicodeEncodeError):
        return None
    return {INPUT_KIND: INPUT_DATA, INPUT_BYTES: data}


@router.websocket("/interactive")
async def interactive_execution(websocket: WebSocket, state: StateDep, access: ExecutionsWriteSocket) -> None:
    await websocket.accept()
    send = json_sender(websocket)
    principal = await access.admit(websocket, lambda refusal: _refuse(websocket, send, refusal))
    if principal is None:
        return
    try:
        first = await asyncio.wait_for(websocket.receive_json(), state.settings.interactive_start_timeout_s)
        payload = _parse_start(first)
        versions = await versions_or_empty(state)
        execution = await service.prepare_execution(
            payload, state.settings, versions, interactive=True, user_id=principal.user_id
        )
        reservation = await admit_execution(websocket, state)
    except ProblemError as error:
        await _refuse(websocket, send, error)
        return
    except (TimeoutError, ValueError, KeyError):
        await _refuse(websocket, send, ProblemError(400, "bad-request", "Bad request", "expected a start frame"))
        return
    except WebSocketDisconnect:
        return

    await submission.persist_reserved(state, execution, reservation)
    execution_id = execution.id
    created = ExecutionOut.build(execution_record(execution, []))
    await send({"type": "created", "execution": created.model_dump(mode="json")})
    await enqueue(state, execution_id, execution_job(execution), reservation)
    writer = FrameWriter(send, "base64" if websocket.query_params.get("encoding") == "base64" else "text")
    finished = await serve_events(
        state, websocket, execution_id, writer, _pump_input(websocket, state, execution_id, send)
    )
    if finished:
        # Nobody reads a finished execution's input: it does not wait out INPUT_TTL_S in Redis.
        with contextlib.suppress(RedisError, OSError):
            await state.redis.delete(execution_input(execution_id))
