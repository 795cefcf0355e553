"""Load through nginx: WebSocket viewers plus sustained submissions, for a fixed time.

Starts Debian's nginx (deploy/nginx's template) in front of two gateways and two executors on
this machine, then for ``--duration`` seconds submits Python programs at ``--rate`` per second
(open loop) while ``--viewers`` WebSocket clients watch the newest executions' streams (each
viewer reads a stream to its result frame, then waits for the next new execution). Reports
submit-to-result latency and stream figures as p50/p95/p99, and error counts; 429s (rate limits, if configured)
are counted apart as intended refusals. Baseline in the same run: the same submissions straight
to one gateway, without nginx, at the same rate, for a tenth of the time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from bench import cpu
from bench.common import ROOT, SUITE_ENV, free_port, machine, summary, wait_for_warm_pool
from bench.nginx import nginx, wait_for_port

PROGRAM = "import time\nfor i in range(5):\n    print(i, flush=True)\n    time.sleep(0.1)\n"


@dataclass
class Tally:
    latency_ms: list[float] = field(default_factory=list)
    first_frame_ms: list[float] = field(default_factory=list)
    frames: int = 0
    streams: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


async def submit(client: httpx.AsyncClient, ws_base: str, tally: Tally, recent: list[str]) -> None:
    """Submit, then follow the execution's own stream to its result (as a client would)."""
    start = time.perf_counter()
    try:
        created = await client.post("/v1/executions", json={"language": "python", "source": PROGRAM})
        if created.status_code == 429:
            tally.outcomes["429 (intended)"] += 1
            return
        if created.status_code != 202:
            tally.outcomes[f"http {created.status_code}"] += 1
            return
        eid = created.json()["id"]
        recent.append(eid)
        verdict = None
        async with connect(f"{ws_base}/v1/executions/{eid}/stream") as ws:
            async for message in ws:
                frame = json.loads(message)
                if frame["type"] == "result":
                    verdict = frame["execution"]["verdict"]
                    break
        tally.outcomes["ok" if verdict == "ok" else f"verdict {verdict}"] += 1
        tally.latency_ms.append((time.perf_counter() - start) * 1000)
    except (httpx.HTTPError, OSError, WebSocketException) as exc:
        tally.outcomes[f"error {type(exc).__name__}"] += 1


async def viewer(ws_base: str, recent: list[str], tally: Tally, stop: float) -> None:
    """Watches the newest execution's stream to its end, then waits for the next new one."""
    seen: str | None = None
    while time.perf_counter() < stop:
        if not recent or recent[-1] == seen:
            await asyncio.sleep(0.05)
            continue
        eid = seen = recent[-1]
        start = time.perf_counter()
        try:
            async with connect(f"{ws_base}/v1/executions/{eid}/stream") as ws:
                first = True
                async for message in ws:
                    if first:
                        tally.first_frame_ms.append((time.perf_counter() - start) * 1000)
                        first = False
                    tally.frames += 1
                    if json.loads(message)["type"] == "result":
                        break
            tally.streams += 1
        except (OSError, WebSocketException) as exc:
            tally.outcomes[f"ws {type(exc).__name__}"] += 1
            await asyncio.sleep(0.1)


async def scenario(url: str, rate: float, duration_s: float, viewers: int) -> dict[str, Any]:
    tally, recent = Tally(), list[str]()
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        before = cpu.sample()
        start = time.perf_counter()
        stop = start + duration_s
        ws_base = url.replace("http", "ws", 1)
        watchers = [asyncio.create_task(viewer(ws_base, recent, tally, stop)) for _ in range(viewers)]
        submissions = []
        for i in range(int(rate * duration_s)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            submissions.append(asyncio.create_task(submit(client, ws_base, tally, recent)))
        await asyncio.gather(*submissions)
        await asyncio.gather(*watchers)
        wall = time.perf_counter() - start
        used = cpu.split(before, cpu.sample())
    errors = sum(n for outcome, n in tally.outcomes.items() if outcome not in ("ok", "429 (intended)"))
    return {
        "rate_per_s": rate,
        "duration_s": duration_s,
        "wall_s": round(wall, 1),
        "viewers": viewers,
        "submitted": int(rate * duration_s),
        "outcomes": dict(tally.outcomes),
        "errors": errors,
        "submit_to_result_ms": summary(tally.latency_ms) if tally.latency_ms else {},
        "stream_first_frame_ms": summary(tally.first_frame_ms) if tally.first_frame_ms else {},
        "streams_completed": tally.streams,
        "frames": tally.frames,
        # Where the machine's CPU went, in CPU-seconds per second of the run (2.0 = both cores);
        # "other" is mostly this load generator itself.
        "cpu_cores_busy": {
            name: round(seconds / wall, 2) for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])
        },
    }


def start(module: str, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=4.0, help="submissions per second")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--viewers", type=int, default=200)
    args = parser.parse_args()

    base_env = {**os.environ, **SUITE_ENV}
    redis.Redis.from_url(base_env["CRH_REDIS_URL"]).flushdb()
    procs = []
    log = "/tmp/coderunhub-bench-load.log"
    gateway_ports = [free_port(), free_port()]
    try:
        for n in (1, 2):
            env = {**base_env, "CRH_EXECUTOR_EXECUTOR_ID": f"executor-load-{n}", "CRH_EXECUTOR_CONCURRENCY": "3"}
            procs.append(start("services.executor", env, log))
        for port in gateway_ports:
            procs.append(start("services.gateway", {**base_env, "CRH_GATEWAY_PORT": str(port)}, log))
        for port, proc in zip(gateway_ports, procs[2:], strict=True):
            wait_for_port(port, proc, timeout=180)
        for n in (1, 2):
            wait_for_warm_pool(executor_id=f"executor-load-{n}")
        nginx_port = free_port()
        with nginx(nginx_port, gateway_ports, auth_port=free_port()):
            through_nginx = asyncio.run(
                scenario(f"http://127.0.0.1:{nginx_port}", args.rate, args.duration, args.viewers)
            )
        direct = asyncio.run(
            scenario(f"http://127.0.0.1:{gateway_ports[0]}", args.rate, max(6.0, args.duration / 10), 0)
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(90)
    print(f"# load through nginx ({machine()})")
    print(json.dumps({"through_nginx": through_nginx, "baseline_direct_no_viewers": direct}, indent=2))
    p50 = through_nginx["submit_to_result_ms"].get("p50", 0.0)
    base = direct["submit_to_result_ms"].get("p50", 0.0)
    if base:
        print(f"submit-to-result p50 ratio, nginx+{args.viewers} viewers / direct: {p50 / base:.2f}x")


if __name__ == "__main__":
    main()
