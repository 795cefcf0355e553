"""How long a printed line takes to reach a WebSocket client.

The program prints its clock (CLOCK_REALTIME, ns) as it writes each line; the client compares it
with its own clock when the line arrives (same host, same clock). Baseline in the same run: the
same program as a bare process writing to a pipe the benchmark reads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from bench.common import BARE_PYTHON, machine, suite, summary, table

LINES = 200
PROGRAM = f"""
import time
for _ in range({LINES}):
    print(time.time_ns(), flush=True)
    time.sleep(0.02)
"""


def _latencies(text: str, received_ns: int) -> list[float]:
    return [(received_ns - int(line)) / 1e6 for line in text.splitlines() if line.strip().isdigit()]


async def bare_pipe() -> list[float]:
    process = await asyncio.create_subprocess_exec(BARE_PYTHON, "-c", PROGRAM, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    samples: list[float] = []
    while line := await process.stdout.readline():
        samples += _latencies(line.decode(), time.time_ns())
    await process.wait()
    return samples


async def websocket(url: str, runs: int) -> list[float]:
    samples: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(runs):
            created = (await client.post("/v1/executions", json={"language": "python", "source": PROGRAM})).json()
            ws_url = created["links"]["stream"]
            pending = ""
            async with connect(ws_url) as ws:
                async for message in ws:
                    frame = json.loads(message)
                    if frame["type"] == "stdout":
                        now = time.time_ns()
                        pending += frame["data"]
                        complete, _, pending = pending.rpartition("\n")
                        samples += _latencies(complete, now)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite")
    parser.add_argument("--runs", type=int, default=3, help=f"executions, {LINES} lines each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    bare = summary(asyncio.run(bare_pipe()))
    with suite(args.url) as url:
        ws = summary(asyncio.run(websocket(url, args.runs)))
    rows = [("bare process -> pipe -> reader", bare), ("sandbox -> agent -> Redis -> gateway -> WebSocket", ws)]
    print(f"machine: {machine()}")
    print(table(rows, "ms from write to receipt", {"pipe": bare["p50"]}))
    if args.json:
        args.json.write_text(json.dumps(dict(rows), indent=2))


if __name__ == "__main__":
    main()
