"""Submit-to-result latency of a Python hello world, next to baselines measured in the same run.

Baselines: a bare ``/usr/bin/python3 -c 'print(1)'`` (Debian's interpreter, not a pyenv shim) and
``docker run --rm --network none`` of the same command in CodeRunHub's Python runtime image.
CodeRunHub: ``POST /v1/executions?wait=true`` through the gateway, queue, executor and sandbox.

Uses the suite at --url when one answers there; otherwise starts gateway and executor itself
(on the development database and a separate Redis database) and stops them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BARE_PYTHON = "/usr/bin/python3"
IMAGE = "coderunhub/runtime-python:latest"
PAYLOAD = {"language": "python", "source": "print(1)"}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p90": percentile(samples, 90),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
        "min": min(samples),
    }


def time_command(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def time_api(url: str, runs: int, warmup: int, pause_s: float) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for i in range(warmup + runs):
            # One user on an idle platform: time to think between runs, time for the pool to refill.
            await asyncio.sleep(pause_s)
            start = time.perf_counter()
            response = await client.post("/v1/executions", params={"wait": "true"}, json=PAYLOAD)
            elapsed = (time.perf_counter() - start) * 1000
            body = response.json()
            if response.status_code != 200 or body["run"]["stdout"] != "1\n":
                raise RuntimeError(f"unexpected response {response.status_code}: {body}")
            if i >= warmup:
                samples.append(elapsed)
    return samples


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def suite(url: str | None) -> Iterator[str]:
    if url and answers(url):
        yield url
        return
    port = free_port()
    env = {
        **os.environ,
        "CRH_REDIS_URL": os.environ.get("CRH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "CRH_GATEWAY_PORT": str(port),
        "CRH_EXECUTOR_EXECUTOR_ID": "executor-bench",
        "CRH_LOG_LEVEL": "WARNING",
    }
    logs = open("/tmp/coderunhub-bench.log", "ab")  # noqa: SIM115
    procs = [
        subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
        for module in ("services.executor", "services.gateway")
    ]
    started = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not answers(started) or not executor_ready(started):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the suite did not start; see /tmp/coderunhub-bench.log")
            time.sleep(0.2)
        wait_for_warm_pool()
        yield started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def wait_for_warm_pool(settle_s: float = 3.0, timeout_s: float = 120.0) -> None:
    """Measure a steady state: wait until the executor stopped starting warm sandboxes."""
    deadline = time.monotonic() + timeout_s
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        names = subprocess.run(
            ["docker", "ps", "-q", "--filter", "name=crh-pool-"], capture_output=True, text=True, check=True
        ).stdout.split()
        if len(names) != last:
            last, stable_since = len(names), time.monotonic()
        elif time.monotonic() - stable_since >= settle_s:
            return
        time.sleep(0.5)


def executor_ready(url: str) -> bool:
    languages = httpx.get(f"{url}/v1/languages", timeout=2).json()
    return any(item["id"] == "python" and item["version"] for item in languages)


def table(rows: list[tuple[str, dict[str, float]]], bare: float, docker: float) -> str:
    lines = [
        f"{'path':44} {'n':>4} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'x bare':>7} {'x docker':>8}",
    ]
    for name, s in rows:
        lines.append(
            f"{name:44} {s['n']:>4.0f} {s['p50']:>8.1f} {s['p90']:>8.1f} {s['p99']:>8.1f} {s['mean']:>8.1f}"
            f" {s['p50'] / bare:>7.2f} {s['p50'] / docker:>8.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("CRH_BENCH_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--runs", type=int, default=100, help="API submissions and bare runs")
    parser.add_argument("--docker-runs", type=int, default=20)
    parser.add_argument("--pause-ms", type=float, default=300, help="think time between API submissions")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    measure: list[tuple[str, Callable[[], list[float]]]] = [
        (f"bare {BARE_PYTHON} -c 'print(1)'", lambda: time_command([BARE_PYTHON, "-c", "print(1)"], args.runs)),
        (
            "docker run --rm --network none (same image)",
            lambda: time_command(
                ["docker", "run", "--rm", "--network", "none", IMAGE, "python3", "-c", "print(1)"], args.docker_runs
            ),
        ),
    ]
    results: list[tuple[str, dict[str, float]]] = []
    for name, fn in measure:
        results.append((name, summary(fn())))
    with suite(args.url) as url:
        api = asyncio.run(time_api(url, args.runs, warmup=5, pause_s=args.pause_ms / 1000))
    results.append(("CodeRunHub POST /v1/executions?wait=true", summary(api)))

    bare, docker = results[0][1]["p50"], results[1][1]["p50"]
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, kernel {platform.release()}")
    print(table(results, bare, docker))
    if args.json:
        args.json.write_text(json.dumps({name: figures for name, figures in results}, indent=2))


if __name__ == "__main__":
    main()
