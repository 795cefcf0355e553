"""The WebSocket stream: live, ordered chunks while the program runs, and full replay for late joiners."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# No read of a WebSocket waits longer than this: a stuck stream fails the test, never hangs it.
STREAM_S = 60

SOURCE = (
    "import time\nprint('first', flush=True)\ntime.sleep(1.5)\n"
    "print('second', flush=True)\ntime.sleep(0.2)\nprint('third')"
)


def ws_url(api: httpx.AsyncClient, path: str) -> str:
    return str(api.base_url.copy_with(scheme="ws", path=path))


async def collect(url: str) -> tuple[list[dict[str, Any]], int | None]:
    frames: list[dict[str, Any]] = []
    async with connect(url) as ws, asyncio.timeout(STREAM_S):
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
        return frames, ws.close_code


async def test_chunks_arrive_in_order_while_the_program_runs(api: httpx.AsyncClient) -> None:
    created = (await api.post("/v1/executions", json={"language": "python", "source": SOURCE})).json()
    url = created["links"]["stream"]
    frames: list[dict[str, Any]] = []
    status_when_first_chunk: str | None = None
    async with connect(url) as ws, asyncio.timeout(STREAM_S):
        async for message in ws:
            frame = json.loads(message)
            frames.append(frame)
            if frame["type"] == "stdout" and status_when_first_chunk is None:
                status_when_first_chunk = (await api.get(f"/v1/executions/{created['id']}")).json()["status"]
        assert ws.close_code == 1000

    # The first line reached us while the program was still sleeping before its second line.
    assert status_when_first_chunk == "running"
    seqs = [frame["seq"] for frame in frames]
    assert seqs == list(range(1, len(frames) + 1))
    stdout = "".join(frame["data"] for frame in frames if frame["type"] == "stdout")
    assert stdout == "first\nsecond\nthird\n"
    # Chunk boundaries follow the program's writes (print() may write "first" and "\n" separately),
    # so only what matters is checked: the first chunk came before the program's second line.
    first_chunk = next(frame["data"] for frame in frames if frame["type"] == "stdout")
    assert first_chunk.startswith("first")
    assert "second" not in first_chunk
    assert frames[-1]["type"] == "result"
    assert frames[-1]["execution"]["verdict"] == "ok"
    assert frames[-1]["execution"]["run"]["exit_code"] == 0

    # A late subscriber gets the identical sequence, from the beginning.
    replay, code = await collect(url)
    assert code == 1000
    assert [(f["seq"], f["type"], f.get("data")) for f in replay] == [
        (f["seq"], f["type"], f.get("data")) for f in frames
    ]


async def test_subscriber_joining_midway_gets_everything(api: httpx.AsyncClient) -> None:
    created = (await api.post("/v1/executions", json={"language": "python", "source": SOURCE})).json()
    url = created["links"]["stream"]
    async with connect(url) as early:
        while json.loads(await asyncio.wait_for(early.recv(), STREAM_S))["type"] != "stdout":
            pass
        # The program has printed its first line and is sleeping: join now.
        frames, code = await collect(url)
    assert code == 1000
    assert "".join(f["data"] for f in frames if f["type"] == "stdout") == "first\nsecond\nthird\n"
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    assert frames[-1]["type"] == "result"


async def test_compile_output_is_streamed_with_its_phase(api: httpx.AsyncClient) -> None:
    created = (
        await api.post("/v1/executions", json={"language": "c", "source": "int main(void) { return nope; }"})
    ).json()
    frames, code = await collect(created["links"]["stream"])
    assert code == 1000
    compile_err = "".join(f["data"] for f in frames if f["type"] == "stderr" and f["phase"] == "compile")
    assert "nope" in compile_err
    assert frames[-1]["execution"]["verdict"] == "compilation_error"


async def test_stream_of_unknown_execution_closes_with_4404(api: httpx.AsyncClient) -> None:
    _, code = await collect(ws_url(api, "/v1/executions/01a21870-0000-7000-8000-000000000000/stream"))
    assert code == 4404
