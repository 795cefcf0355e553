"""Clients of a collaborative session's socket for the tests: pycrdt's Provider over httpx-ws (a
Python y-websocket client, for documents) and a raw client that sends and reads single messages
(for the protocol's edges: awareness, refusals, close codes, type-100 events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from pycrdt import Doc, Map, Provider, Text
from pycrdt.websocket.websocket import HttpxWebsocket

from services.gateway.collab import protocol
from tests.product.conftest import Account

WAIT_S = 10.0
MAX_MESSAGE = 16 << 20
FILES = [{"name": "main.py", "content": "print('together')\n"}]


@dataclass
class Session:
    id: str
    #: The owner's join answer (``socket_token``, ``participant``).
    owner: dict[str, Any]

    @property
    def owner_token(self) -> str:
        return str(self.owner["socket_token"])


async def start_session(gw: httpx.AsyncClient, owner: Account, **body: Any) -> Session:
    snippet = {"title": "Pair", "language": "python", "files": FILES, "visibility": "private"}
    created = await gw.post("/v1/snippets", headers=owner.headers, json=snippet)
    assert created.status_code == 201, created.text
    started = await gw.post(f"/v1/snippets/{created.json()['id']}/sessions", headers=owner.headers, json=body)
    assert started.status_code == 201, started.text
    sid = str(started.json()["id"])
    return Session(sid, await join(gw, sid, owner.headers))


async def join(gw: httpx.AsyncClient, sid: str, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    """A participant's join answer (its ``socket_token`` opens the socket)."""
    response = await gw.post(f"/v1/collab/sessions/{sid}/join", headers=headers or {}, json=body)
    gw.cookies.clear()
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def invited(gw: httpx.AsyncClient, owner: Account, sid: str, role: str, who: Account) -> dict[str, Any]:
    """Join answer of ``who``, let in by an invite of ``role``."""
    made = await gw.post(f"/v1/collab/sessions/{sid}/invites", headers=owner.headers, json={"role": role})
    assert made.status_code == 201, made.text
    return await join(gw, sid, who.headers, invite=made.json()["token"])


def socket_url(gw: httpx.AsyncClient, sid: str, token: str, room: bool = True) -> str:
    """The URL y-websocket's client builds: ``serverUrl/roomname?params``."""
    base = str(gw.base_url).rstrip("/").replace("http://", "ws://")
    return f"{base}/v1/collab/sessions/{sid}/socket{'/room' if room else ''}?token={token}"


def files(doc: Doc[Any]) -> dict[str, str]:
    return {name: str(text) for name, text in doc.get("files", type=Map).items()}


def text_of(doc: Doc[Any], name: str = "main.py") -> Text:
    text = doc.get("files", type=Map)[name]
    assert isinstance(text, Text)
    return text


async def eventually(check: Callable[[], bool], timeout: float = WAIT_S) -> float:
    """Seconds until ``check()`` held; fails after ``timeout``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not check():
        assert loop.time() - start < timeout, "timed out"
        await asyncio.sleep(0.01)
    return loop.time() - start


@contextlib.asynccontextmanager
async def synced(url: str, doc: Doc[Any] | None = None) -> AsyncIterator[Doc[Any]]:
    """A y-websocket client (pycrdt's Provider) with its document synced with the server's."""
    doc = doc if doc is not None else Doc()
    async with connected(url) as ws:
        provider = Provider(doc, HttpxWebsocket(ws, url))
        async with provider:
            await asyncio.wait_for(provider.synced.wait(), WAIT_S)
            yield doc


def event_of(frame: bytes) -> dict[str, Any] | None:
    """A type-100 event's JSON, None for any other message."""
    if frame[:1] != bytes([protocol.MESSAGE_EVENT]):
        return None
    length, shift, pos = 0, 0, 1
    while True:
        byte = frame[pos]
        length |= (byte & 0x7F) << shift
        pos += 1
        shift += 7
        if byte < 0x80:
            break
    body: dict[str, Any] = json.loads(frame[pos : pos + length])
    return body


@dataclass
class Raw:
    """One socket, message by message."""

    ws: AsyncWebSocketSession
    events: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, frame: bytes) -> None:
        await self.ws.send_bytes(frame)

    async def next(self, kind: int | None = None, timeout: float = WAIT_S) -> protocol.Message:
        """The next message (of type ``kind``), keeping type-100 events in ``events``."""
        while True:
            frame = await self.ws.receive_bytes(timeout=timeout)
            if (event := event_of(frame)) is not None:
                self.events.append(event)
                continue
            message = protocol.decode(frame)
            if kind is None or message.type == kind:
                return message

    async def event(self, kind: str, timeout: float = WAIT_S) -> dict[str, Any]:
        """The first type-100 event of type ``kind`` (already received or the next)."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if event["type"] == kind:
                        return event
                with contextlib.suppress(TimeoutError):
                    await self.next(timeout=0.2)

    async def awareness(self, timeout: float = WAIT_S) -> list[protocol.AwarenessEntry]:
        return protocol.decode_awareness((await self.next(protocol.MESSAGE_AWARENESS, timeout)).payload)

    async def closed(self, timeout: float = WAIT_S) -> tuple[int, str | None]:
        """Read until the server closes: its code and reason."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = await self.ws.receive_bytes()
                    if (event := event_of(frame)) is not None:
                        self.events.append(event)
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[AsyncWebSocketSession]:
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient())
        ws: AsyncWebSocketSession = await stack.enter_async_context(
            aconnect_ws(url, client, max_message_size_bytes=MAX_MESSAGE)
        )
        yield ws


@contextlib.asynccontextmanager
async def raw(url: str) -> AsyncIterator[Raw]:
    async with connected(url) as ws:
        yield Raw(ws)


# --- the WebRTC signaling socket (services/gateway/collab/signal.py) ------------------------------


def signal_url(gw: httpx.AsyncClient, sid: str, token: str | None = None) -> str:
    base = str(gw.base_url).rstrip("/").replace("http://", "ws://")
    return f"{base}/v1/collab/sessions/{sid}/signal" + (f"?token={token}" if token is not None else "")


@dataclass
class Signal:
    """One signaling socket, JSON message by JSON message (y-webrtc's side of it)."""

    ws: AsyncWebSocketSession

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message))

    async def next(self, timeout: float = WAIT_S) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await self.ws.receive_text(timeout=timeout))
        return message

    async def sync(self) -> list[dict[str, Any]]:
        """Ping, and what came before the pong: the server has read everything sent before."""
        await self.send({"type": "ping"})
        before: list[dict[str, Any]] = []
        while (message := await self.next()) != {"type": "pong"}:
            before.append(message)
        return before

    async def subscribe(self, *topics: str) -> list[dict[str, Any]]:
        await self.send({"type": "subscribe", "topics": list(topics)})
        return await self.sync()

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        await self.send({"type": "publish", "topic": topic, "data": data})

    async def closed(self, timeout: float = WAIT_S) -> tuple[int, str | None, list[dict[str, Any]]]:
        """Read until the server closes: its code, its reason, and the messages before."""
        seen: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    seen.append(json.loads(await self.ws.receive_text()))
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason, seen


@contextlib.asynccontextmanager
async def signal(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Signal]:
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(headers=headers))
        ws: AsyncWebSocketSession = await stack.enter_async_context(aconnect_ws(url, client))
        yield Signal(ws)
