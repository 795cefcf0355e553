"""Relaying an execution's events to one WebSocket client.

Order of operations makes late joins and reconnects lossless: subscribe to live events first,
then replay the Stream from the beginning, then forward live events, skipping what was replayed
(events carry a sequence number) and re-reading the Stream whenever a gap shows.

A finished execution's Stream expires a minute after its final event (the executor's
stream_finished_ttl_s). Whenever the Stream is gone and the execution is finished, its events are
rebuilt from PostgreSQL, numbered after the last live seq (kept a while longer under
execution_stream_end) and after anything this connection sent: a client that reconnects after
the expiry, or one that fell that far behind, still gets a result frame it will not take for one
it already had.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from services.gateway import links as public_links
from services.gateway.executions import repository as repo
from services.gateway.executions.schemas import ExecutionLinks, ExecutionOut, OutputEncoding
from services.gateway.lru import MISSING
from services.gateway.state import GatewayState
from shared.events import Event, EventType, stream_entry_id
from shared.executions import ExecutionRecord, ExecutionStatus
from shared.redis_keys import execution_channel, execution_stream, execution_stream_end

# WebSocket close codes (documented in docs/api.md).
CLOSE_DONE = 1000
CLOSE_INTERNAL = 1011
CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429
CLOSE_UNAVAILABLE = 4503

Send = Callable[[dict[str, Any]], Awaitable[None]]


class FrameWriter:
    """Turns events into JSON frames; text output is decoded incrementally per phase and stream."""

    def __init__(self, send: Send, encoding: OutputEncoding) -> None:
        self._send = send
        self._encoding = encoding
        self._decoders: dict[tuple[str | None, int | None, str], codecs.IncrementalDecoder] = {}
        self.last_seq = 0

    async def event(self, event: Event, result: dict[str, Any] | None = None) -> None:
        self.last_seq = event.seq
        frame: dict[str, Any] = {"type": event.type.value, "seq": event.seq}
        if event.type is EventType.status:
            frame["status"] = event.status
            if event.phase:
                frame["phase"] = event.phase
        elif event.type in (EventType.stdout, EventType.stderr):
            frame["phase"] = event.phase
            frame["encoding"] = self._encoding
            frame["data"] = self._encode(event)
        elif event.type is EventType.test:
            frame["phase"] = event.phase
            frame["verdict"] = event.verdict
        elif event.type is EventType.live_output_limit:
            frame["phase"] = event.phase
            frame["message"] = event.data.decode(errors="replace")
        else:
            frame["execution"] = _linked_here(result)
        # Judging: frames of one test case's run carry its index.
        if event.test is not None:
            frame["test"] = event.test
        await self._send(frame)

    def _encode(self, event: Event) -> str:
        if self._encoding == "base64":
            return base64.b64encode(event.data).decode()
        key = (event.phase, event.test, event.type.value)
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._decoders[key] = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return decoder.decode(event.data)


def _linked_here(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A result object with the links of this connection: cached results were built for another's
    request (its host and scheme)."""
    if result is None:
        return None
    return {**result, "links": ExecutionLinks.of(uuid.UUID(result["id"])).model_dump()}


async def load_record(state: GatewayState, execution_id: uuid.UUID) -> ExecutionRecord | None:
    async with state.sessionmaker() as session:
        return await repo.load_record(session, execution_id)


def final_record(event: Event) -> ExecutionRecord | None:
    """The finished record: carried by the final event when small, otherwise from the database."""
    if event.data:
        return ExecutionRecord.model_validate_json(event.data)
    return None


async def replay_from_database(state: GatewayState, execution_id: uuid.UUID, writer: FrameWriter) -> bool:
    """Rebuild the event sequence of a finished execution whose Stream expired: the stored output
    of each phase and case, their verdicts and the result, numbered after any live seq."""
    record = await load_record(state, execution_id)
    if record is None or record.status is not ExecutionStatus.finished:
        return False
    live_end = await state.redis.get(execution_stream_end(execution_id))
    seq = max(int(live_end or 0), writer.last_seq)
    for phase in sorted(record.phases, key=lambda p: p.phase != "compile"):
        for kind, data in ((EventType.stdout, phase.stdout), (EventType.stderr, phase.stderr)):
            if data:
                seq += 1
                await writer.event(Event(seq=seq, type=kind, phase=phase.phase.value, data=data))
    for test in record.tests:
        for kind, data in ((EventType.stdout, test.stdout), (EventType.stderr, test.stderr)):
            if data:
                seq += 1
                await writer.event(Event(seq=seq, type=kind, phase="run", data=data, test=test.index))
        seq += 1
        await writer.event(
            Event(seq=seq, type=EventType.test, phase="run", verdict=test.verdict.value, test=test.index)
        )
    result = ExecutionOut.build(record, with_output=False).model_dump(mode="json")
    await writer.event(Event(seq=seq + 1, type=EventType.result, status="finished"), result)
    return True


async def _catch_up(state: GatewayState, execution_id: uuid.UUID, writer: FrameWriter) -> bool | None:
    """Send Stream entries after the last one sent; True once the final event went out, None when
    the Stream does not exist (not written yet, or expired)."""
    key = execution_stream(execution_id)
    async with state.redis.pipeline(transaction=False) as pipe:
        pipe.xrange(key, min=stream_entry_id(writer.last_seq + 1))
        pipe.exists(key)
        entries, exists = await pipe.execute()
    if not exists:
        return None
    for _, fields in entries:
        event = Event.decode(fields[b"e"])
        if event.seq <= writer.last_seq:
            continue
        if await _forward(state, execution_id, writer, event):
            return True
    return False


async def _forward(state: GatewayState, execution_id: uuid.UUID, writer: FrameWriter, event: Event) -> bool:
    if event.is_final:
        result: dict[str, Any] | None = state.recent.results.get(execution_id)
        if result is MISSING:
            record = final_record(event) or await load_record(state, execution_id)
            result = ExecutionOut.build(record, with_output=False).model_dump(mode="json") if record else None
            if result is not None:
                state.recent.results.put(execution_id, result)
        await writer.event(event, result)
        return True
    await writer.event(event)
    return False


async def _caught_up(state: GatewayState, execution_id: uuid.UUID, writer: FrameWriter) -> bool:
    """Catch up from the Stream or, when it is gone and the execution finished, from PostgreSQL;
    True once the result frame went out."""
    caught = await _catch_up(state, execution_id, writer)
    if caught is None:
        return await replay_from_database(state, execution_id, writer)
    return caught


async def relay(state: GatewayState, websocket: WebSocket, execution_id: uuid.UUID, writer: FrameWriter) -> None:
    """Send every event of the execution, in order, ending with the result frame."""
    idle = state.settings.stream_idle_check_s
    # A finished execution's Stream holds everything up to its result: no subscription needed.
    if await _catch_up(state, execution_id, writer):
        return
    async with state.hub.subscribe(execution_channel(execution_id)) as subscription:
        if await _caught_up(state, execution_id, writer):
            return
        while True:
            payload = await subscription.next(wait_s=idle)
            if payload is None:
                # Quiet, or a gap: whatever was missed is in the Stream (or, once it expired, in PostgreSQL).
                subscription.take_gap()
                if await _caught_up(state, execution_id, writer):
                    return
                continue
            event = Event.decode(payload)
            if event.seq <= writer.last_seq:
                continue
            if event.seq > writer.last_seq + 1 and await _catch_up(state, execution_id, writer):
                return
            if event.seq > writer.last_seq and await _forward(state, execution_id, writer, event):
                return


def json_sender(websocket: WebSocket, transcript: list[str] | None = None) -> Send:
    """Frames go out one at a time, whichever task sends them (as starlette's send_json would
    write them); with ``transcript``, their texts are kept too."""
    lock = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        if transcript is not None:
            transcript.append(text)
        async with lock:
            await websocket.send_text(text)

    return send


# Streams of finished executions are kept per gateway when their frames are this small: each of
# an execution's many viewers then costs a few writes (see recent.py).
TRANSCRIPT_MAX_CHARS = 64 * 1024


async def stream_with_transcripts(
    state: GatewayState, websocket: WebSocket, execution_id: uuid.UUID, encoding: OutputEncoding
) -> None:
    """Serve an execution's stream: from a finished execution's transcript when this gateway has
    one, else relayed, keeping the transcript when it is complete and small."""
    # Frames carry links: a transcript serves viewers that reached the gateway the same way.
    base = public_links.current()
    key = (execution_id, encoding, base.ws if base else "")
    kept = state.recent.transcripts.get(key)
    if kept is not MISSING:
        for text in kept:
            await websocket.send_text(text)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(CLOSE_DONE)
        return
    transcript: list[str] = []
    writer = FrameWriter(json_sender(websocket, transcript), encoding)
    delivered = await serve_events(state, websocket, execution_id, writer, until_disconnect(websocket))
    if delivered and sum(len(text) for text in transcript) <= TRANSCRIPT_MAX_CHARS:
        state.recent.transcripts.put(key, transcript)


async def until_disconnect(websocket: WebSocket) -> None:
    """For streams that take no client frames: reading is how a disconnect is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def serve_events(
    state: GatewayState,
    websocket: WebSocket,
    execution_id: uuid.UUID,
    writer: FrameWriter,
    inbound: Coroutine[Any, Any, None],
    *,
    close_code: int = CLOSE_DONE,
    close_reason: str | None = None,
) -> bool:
    """Relay events until the result was sent (then close with ``close_code``, 1000 unless a
    dialect says otherwise) or the client's side ends.

    Returns whether the result was delivered.
    """
    relay_task = asyncio.create_task(relay(state, websocket, execution_id, writer))
    inbound_task = asyncio.create_task(inbound)
    try:
        done, _ = await asyncio.wait({relay_task, inbound_task}, return_when=asyncio.FIRST_COMPLETED)
        if relay_task in done:
            relay_task.result()
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.close(close_code, close_reason)
            return True
        inbound_task.result()
        return False
    except WebSocketDisconnect:
        return False
    finally:
        for task in (relay_task, inbound_task):
            task.cancel()
        await asyncio.gather(relay_task, inbound_task, return_exceptions=True)
