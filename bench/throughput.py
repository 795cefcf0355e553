"""Bursts and sustained load of Python hello worlds, with the machine's CPU cost per execution.

Burst: N submissions at once (`wait=true`), from a warm pool. Sustained: open-loop arrivals at a
fixed rate for a fixed time; every submission must end `ok`. Baselines in the same run: bare
processes and `docker run --rm` one after another (what one core of each sustains).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import BARE_PYTHON, busy_cpu_seconds, docker_run_argv, machine, suite, summary, time_command

PAYLOAD = {"language": "python", "source": "print(1)"}


async def submit(client: httpx.AsyncClient) -> tuple[float, bool]:
    start = time.perf_counter()
    try:
        response = await client.post("/v1/executions", params={"wait": "true"}, json=PAYLOAD)
        ok = response.status_code == 200 and response.json()["verdict"] == "ok"
    except httpx.HTTPError:
        ok = False
    return (time.perf_counter() - start) * 1000, ok


async def burst(url: str, size: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=size * 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        cpu, start = busy_cpu_seconds(), time.perf_counter()
        results = await asyncio.gather(*(submit(client) for _ in range(size)))
        wall = time.perf_counter() - start
        cpu = busy_cpu_seconds() - cpu
    return {
        "size": size,
        "wall_s": wall,
        "errors": sum(not ok for _, ok in results),
        "latency_ms": summary([ms for ms, _ in results]),
        "cpu_s_per_execution": cpu / size,
    }


async def sustained(url: str, rate: float, duration_s: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=200)) as client:
        tasks: list[asyncio.Task[tuple[float, bool]]] = []
        cpu, start = busy_cpu_seconds(), time.perf_counter()
        for i in range(int(rate * duration_s)):
            # Open loop: arrivals follow the clock, not the completions.
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(submit(client)))
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
        cpu = busy_cpu_seconds() - cpu
    return {
        "offered_per_s": rate,
        "completed": len(results),
        "completed_per_s": len(results) / wall,
        "errors": sum(not ok for _, ok in results),
        "latency_ms": summary([ms for ms, _ in results]),
        "cpu_s_per_execution": cpu / len(results),
    }


def sequential_rate(argv: list[str], runs: int) -> dict[str, float]:
    cpu = busy_cpu_seconds()
    samples = time_command(argv, runs)
    cpu = busy_cpu_seconds() - cpu
    return {"per_s": 1000 / (sum(samples) / len(samples)), "cpu_s_per_run": cpu / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite")
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--rate", type=float, default=6.5, help="sustained submissions per second")
    parser.add_argument("--duration", type=float, default=60.0, help="sustained test length, seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    bare = sequential_rate([BARE_PYTHON, "-c", "print(1)"], 50)
    docker = sequential_rate(docker_run_argv("python3", "-c", "print(1)"), 10)
    with suite(args.url) as url:
        burst_figures = asyncio.run(burst(url, args.burst))
        time.sleep(10)  # let the pool refill between the two tests
        sustained_figures = asyncio.run(sustained(url, args.rate, args.duration))

    print(f"machine: {machine()}")
    print(
        f"baseline bare {BARE_PYTHON}, one after another: {bare['per_s']:.1f}/s, "
        f"{bare['cpu_s_per_run'] * 1000:.1f} ms CPU each"
    )
    print(
        f"baseline docker run --rm, one after another: {docker['per_s']:.2f}/s, "
        f"{docker['cpu_s_per_run'] * 1000:.0f} ms CPU each"
    )
    b = burst_figures
    print(
        f"burst of {b['size']} concurrent: all done in {b['wall_s'] * 1000:.0f} ms, errors {b['errors']}, "
        f"latency p50 {b['latency_ms']['p50']:.0f} ms p99 {b['latency_ms']['p99']:.0f} ms, "
        f"{b['cpu_s_per_execution'] * 1000:.0f} ms machine CPU per execution"
    )
    s = sustained_figures
    print(
        f"sustained {s['offered_per_s']}/s for {args.duration:.0f} s: {s['completed']} completed "
        f"({s['completed_per_s']:.2f}/s), errors {s['errors']}, latency p50 {s['latency_ms']['p50']:.0f} ms "
        f"p95 {s['latency_ms']['p95']:.0f} ms p99 {s['latency_ms']['p99']:.0f} ms, "
        f"{s['cpu_s_per_execution'] * 1000:.0f} ms machine CPU per execution "
        f"(x{s['cpu_s_per_execution'] / docker['cpu_s_per_run']:.2f} of a docker run)"
    )
    if args.json:
        args.json.write_text(json.dumps({"bare": bare, "docker": docker, "burst": b, "sustained": s}, indent=2))


if __name__ == "__main__":
    main()
