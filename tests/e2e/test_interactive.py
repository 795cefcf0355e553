"""Interactive executions over a WebSocket: typed input reaches a running program, answers stream
back, end-of-input and kill work, and a client that leaves does not strand a sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.gateway.app import create_app
from shared.redis_keys import execution_input
from tests.conftest import gateway_settings, serve

# No read of a WebSocket waits longer than this: a stuck stream fails the test, never hangs it.
RECV_S = 30

CHAT = """
while True:
    try:
        line = input('> ')
    except EOFError:
        print('bye')
        break
    print('you said', line)
"""


class Session:
    """One interactive WebSocket: collects stdout and waits for text to appear."""

    def __init__(self, ws: ClientConnection, execution_id: str) -> None:
        self.ws = ws
        self.execution_id = execution_id
        self.stdout = ""
        self.frames: list[dict[str, Any]] = []

    async def next_frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), RECV_S))
        self.frames.append(frame)
        if frame["type"] == "stdout" and frame.get("phase") == "run":
            self.stdout += frame["data"]
        return frame

    async def expect(self, text: str) -> None:
        while text not in self.stdout:
            frame = await self.next_frame()
            assert frame["type"] != "result", f"finished before {text!r}: {self.stdout!r} {frame}"

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def result(self) -> dict[str, Any]:
        while (frame := await self.next_frame())["type"] != "result":
            pass
        execution: dict[str, Any] = frame["execution"]
        return execution


def interactive_url(api: httpx.AsyncClient) -> str:
    return str(api.base_url.copy_with(scheme="ws", path="/v1/executions/interactive"))


async def start(ws: ClientConnection, language: str, source: str, **extra: Any) -> Session:
    await ws.send(json.dumps({"type": "start", "language": language, "source": source, **extra}))
    created = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
    assert created["type"] == "created", created
    assert created["execution"]["status"] == "queued"
    return Session(ws, created["execution"]["id"])


async def test_a_conversation_with_a_running_program(api: httpx.AsyncClient, redis_client: redis.Redis) -> None:
    async with connect(interactive_url(api)) as ws:
        session = await start(ws, "python", CHAT)
        await session.expect("> ")
        await session.send({"type": "stdin", "data": "hello\n"})
        await session.expect("you said hello\n")
        # The program is still waiting for more: this is a live conversation, not a batch.
        await session.send({"type": "stdin", "data": "d29ybGQK", "encoding": "base64"})
        await session.expect("you said world\n")
        await ws.send(b"raw bytes\n")
        await session.expect("you said raw bytes\n")
        await session.send({"type": "eof"})
        result = await session.result()
        assert ws.close_code is None or ws.close_code == 1000
    assert session.stdout.endswith("bye\n")
    assert result["verdict"] == "ok"
    assert result["run"]["exit_code"] == 0
    seqs = [frame["seq"] for frame in session.frames]
    assert seqs == sorted(seqs)
    # Nobody reads a finished execution's input: its Stream is gone, not kept for an hour.
    await _until(lambda: not redis_client.exists(execution_input(session.execution_id)))


async def _until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_c_prompts_arrive_before_input_is_sent(api: httpx.AsyncClient) -> None:
    source = (
        "#include <stdio.h>\nint main(void) { char name[64];\n"
        '  printf("name? ");\n  if (scanf("%63s", name) != 1) return 1;\n'
        '  printf("hi %s\\n", name);\n  return 0;\n}'
    )
    async with connect(interactive_url(api)) as ws:
        session = await start(ws, "c", source)
        # No newline and no fflush in the program: interactive runs get unbuffered stdio.
        await session.expect("name? ")
        await session.send({"type": "stdin", "data": "ada\n"})
        await session.expect("hi ada\n")
        result = await session.result()
    assert result["verdict"] == "ok"


async def test_kill_stops_the_program(api: httpx.AsyncClient) -> None:
    source = "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(1)"
    async with connect(interactive_url(api)) as ws:
        session = await start(ws, "python", source)
        await session.expect("ready\n")
        await session.send({"type": "kill"})
        result = await session.result()
    assert result["verdict"] == "cancelled"
    assert result["message"] == "Cancelled on request"
    assert result["run"]["wall_time_ms"] < 10_000


async def test_a_client_that_leaves_ends_its_execution(api: httpx.AsyncClient) -> None:
    source = "import time\nprint('waiting', flush=True)\ninput()"
    async with connect(interactive_url(api)) as ws:
        session = await start(ws, "python", source)
        await session.expect("waiting\n")
    # Gone without end-of-input or kill: the sandbox is released at once, not at the wall limit.
    result = await _wait_finished(api, session.execution_id)
    assert result["message"] == "Killed on request"


async def _wait_finished(api: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            body: dict[str, Any] = (await api.get(f"/v1/executions/{execution_id}")).json()
            if body["status"] == "finished":
                return body
            await asyncio.sleep(0.1)


async def test_a_bad_start_frame_is_refused(api: httpx.AsyncClient, nothing_queued: None) -> None:
    for first in ({"type": "start", "language": "klingon", "source": ""}, {"type": "hello"}, {"language": "python"}):
        async with connect(interactive_url(api)) as ws:
            await ws.send(json.dumps(first))
            error = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
            assert error["type"] == "error"
            assert error["problem"]["status"] in (400, 422)
            with contextlib.suppress(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), RECV_S)
            assert ws.close_code == 4400


async def _refused_for_input(ws: ClientConnection, session: Session) -> dict[str, Any]:
    """Read until the gateway's refusal; it then closes with 4413."""
    while (frame := await session.next_frame())["type"] != "error" or frame["problem"]["status"] != 413:
        assert frame["type"] != "result", frame
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), RECV_S)
    assert ws.close_code == 4413
    problem: dict[str, Any] = frame["problem"]
    return problem


async def _refused_session(
    api: httpx.AsyncClient, redis_client: redis.Redis, frames: list[dict[str, Any] | str], **settings: Any
) -> dict[str, Any]:
    """Through a gateway with these input settings: start CHAT, send the frames, expect refusal;
    the program is killed and only the kill stays in its input Stream."""
    async with (
        serve(create_app(gateway_settings(**settings))) as url,
        connect(url.replace("http", "ws") + "/v1/executions/interactive") as ws,
    ):
        session = await start(ws, "python", CHAT)
        await session.expect("> ")
        for frame in frames:
            await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
        problem = await _refused_for_input(ws, session)
    assert problem["status"] == 413
    result = await _wait_finished(api, session.execution_id)
    assert result["message"] == "Killed on request"
    key = execution_input(session.execution_id)
    assert redis_client.xlen(key) == 1
    assert 0 < redis_client.ttl(key) <= 3600  # type: ignore[operator]
    return problem


async def test_empty_and_control_frames_count_against_the_stdin_budget(
    api: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    # 1024 bytes at 64 per frame: 16 frames, whatever they carry (no data, not even valid JSON).
    frames: list[dict[str, Any] | str] = [{"type": "stdin", "data": ""}] * 10 + ["not json"] * 6 + [{"type": "eof"}]
    problem = await _refused_session(
        api, redis_client, frames, max_stdin_bytes=1024, interactive_input_frame_cost_bytes=64
    )
    assert "1024 bytes" in problem["detail"]


async def test_the_number_of_input_frames_is_capped(api: httpx.AsyncClient, redis_client: redis.Redis) -> None:
    frames: list[dict[str, Any] | str] = [{"type": "stdin", "data": "x"}] * 11
    problem = await _refused_session(
        api, redis_client, frames, interactive_input_frame_cost_bytes=1, interactive_max_input_frames=10
    )
    assert "10 frames" in problem["detail"]


async def test_anonymous_sessions_hold_a_slot_for_less_time(anonymous_api: httpx.AsyncClient) -> None:
    url = interactive_url(anonymous_api)
    async with connect(url) as ws:
        await ws.send(json.dumps({"type": "start", "language": "python", "source": "print(1)"}))
        created = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
        assert created["execution"]["limits"]["wall_time_ms"] == 120_000
    async with connect(url) as ws:
        await ws.send(
            json.dumps({"type": "start", "language": "python", "source": "", "limits": {"wall_time_ms": 900_000}})
        )
        refused = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
        with contextlib.suppress(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), RECV_S)
    assert ws.close_code == 4400
    [error] = refused["problem"]["errors"]
    assert error["loc"] == ["body", "limits", "wall_time_ms"]
    assert "300000" in error["msg"]
