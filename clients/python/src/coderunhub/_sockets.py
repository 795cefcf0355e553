"""The two WebSockets: an execution's output stream, and interactive sessions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal, TypeAlias

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from coderunhub import errors
from coderunhub._http import Transport, websocket_url
from coderunhub.events import CreatedEvent, ErrorEvent, Event, ResultEvent, parse_event
from coderunhub.models import ExecutionCreate, ExecutionOut

Encoding: TypeAlias = Literal["text", "base64"]
# Result frames carry a whole execution; output frames are small. Generous, but bounded.
MAX_FRAME_BYTES = 64 * 1024 * 1024
# The gateway closes with these when it is going away (1012) or the connection broke (1006):
# reconnect, and the stream is replayed from its first frame (docs/api.md).
RECONNECT_CODES = frozenset({1006, 1011, 1012})


def _close_code(closed: ConnectionClosed) -> int:
    return closed.rcvd.code if closed.rcvd is not None else 1006


def close_problem(code: int, reason: str, last_error: ErrorEvent | None) -> errors.ProblemError | None:
    """4xxx close codes mirror HTTP statuses (4404 is a 404); the last error frame, if any, has details."""
    if not 4400 <= code < 4600:
        return None
    if last_error is not None:
        return last_error.error
    return errors.problem(code - 4000, {"title": reason or f"WebSocket closed with {code}", "status": code - 4000})


async def _open(transport: Transport, path: str) -> ClientConnection:
    url = websocket_url(transport.base_url) + path
    headers = transport.auth_headers()
    user_agent = headers.pop("User-Agent", None)
    try:
        return await connect(url, additional_headers=headers, user_agent_header=user_agent, max_size=MAX_FRAME_BYTES)
    except InvalidStatus as refused:
        body: Any
        try:
            body = json.loads(refused.response.body or b"{}")
        except ValueError:
            body = {}
        raise errors.problem(refused.response.status_code, body) from None


async def stream_events(
    transport: Transport, execution_id: uuid.UUID | str, *, encoding: Encoding = "text", reconnects: int = 5
) -> AsyncIterator[Event]:
    """Every frame of an execution, in seq order and each once, reconnecting when the gateway goes
    away; ends after the result frame."""
    path = f"/v1/executions/{execution_id}/stream?encoding={encoding}"
    last_seq = 0
    attempts = 0
    while True:
        code = 1006
        reason = ""
        try:
            async with await _open(transport, path) as ws:
                try:
                    async for message in ws:
                        frame = json.loads(message)
                        seq = frame.get("seq")
                        if isinstance(seq, int):
                            # A replay after reconnecting starts at seq 1: skip what was delivered.
                            if seq <= last_seq:
                                continue
                            last_seq = seq
                        event = parse_event(frame)
                        yield event
                        if isinstance(event, ResultEvent):
                            return
                    code, reason = ws.close_code or 1000, ws.close_reason or ""
                except ConnectionClosed as closed:
                    code, reason = _close_code(closed), closed.rcvd.reason if closed.rcvd else ""
        except OSError:
            code = 1006
        if (refusal := close_problem(code, reason, None)) is not None:
            raise refusal
        if code not in RECONNECT_CODES or attempts >= reconnects:
            raise errors.StreamError(f"the stream closed with {code} before the result", code)
        attempts += 1
        await asyncio.sleep(min(0.25 * 2**attempts, 5.0))


class AsyncInteractiveSession:
    """A running interactive execution: write its stdin, read its frames (``async for``)."""

    def __init__(self, ws: ClientConnection, created: CreatedEvent) -> None:
        self._ws = ws
        #: The execution as created (queued).
        self.execution: ExecutionOut = created.execution
        #: The finished execution, once its result frame arrived.
        self.result: ExecutionOut | None = None

    async def send(self, data: str | bytes) -> None:
        """Input for the program; bytes go as a binary frame (raw stdin)."""
        if isinstance(data, bytes):
            await self._ws.send(data)
        else:
            await self._ws.send(json.dumps({"type": "stdin", "data": data}))

    async def eof(self) -> None:
        """End of input: the program reads end-of-file."""
        await self._ws.send(json.dumps({"type": "eof"}))

    async def kill(self) -> None:
        """Stop the program now (verdict runtime_error, "Killed on request")."""
        await self._ws.send(json.dumps({"type": "kill"}))

    async def events(self) -> AsyncIterator[Event]:
        """Frames until the session ends. Error frames that do not end it (a bad frame) are yielded;
        one that does (input over budget) is raised as its ProblemError."""
        last_error: ErrorEvent | None = None
        try:
            async for message in self._ws:
                event = parse_event(json.loads(message))
                if isinstance(event, ErrorEvent):
                    last_error = event
                if isinstance(event, ResultEvent):
                    self.result = event.execution
                yield event
            code, reason = self._ws.close_code or 1000, self._ws.close_reason or ""
        except ConnectionClosed as closed:
            code, reason = _close_code(closed), closed.rcvd.reason if closed.rcvd else ""
        if (refusal := close_problem(code, reason, last_error)) is not None:
            raise refusal
        if self.result is None:
            raise errors.StreamError(f"the session closed with {code} before the result", code)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.events()

    async def wait(self) -> ExecutionOut:
        """Read (and drop) frames until the result."""
        async for _ in self.events():
            pass
        assert self.result is not None
        return self.result

    async def close(self) -> None:
        """Leave: a program still running is killed by the gateway."""
        await self._ws.close()


@contextlib.asynccontextmanager
async def interactive_session(
    transport: Transport, request: ExecutionCreate, *, encoding: Encoding = "text"
) -> AsyncIterator[AsyncInteractiveSession]:
    ws = await _open(transport, f"/v1/executions/interactive?encoding={encoding}")
    try:
        await ws.send(json.dumps({"type": "start", **request.to_json()}))
        try:
            first = parse_event(json.loads(await ws.recv()))
        except ConnectionClosed as closed:
            raise close_problem(_close_code(closed), "", None) or errors.StreamError(
                "the session closed before it started", _close_code(closed)
            ) from None
        if isinstance(first, ErrorEvent):
            raise first.error
        if not isinstance(first, CreatedEvent):
            raise errors.StreamError(f"expected a created frame, got {first.type!r}")
        session = AsyncInteractiveSession(ws, first)
        yield session
    finally:
        await ws.close()
