"""Submit-to-result latency of a Python hello world, next to baselines measured in the same run,
plus the dispatch latency (enqueue to executor start) of those same submissions.

Baselines: a bare ``/usr/bin/python3 -c 'print(1)'`` (Debian's interpreter, not a pyenv shim) and
``docker run --rm --network none`` of the same command in CodeRunHub's Python runtime image.
CodeRunHub: ``POST /v1/executions?wait=true`` through gateway, queue, executor and sandbox, one
client on an otherwise idle machine, pausing between submissions like a person would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench.common import BARE_PYTHON, docker_run_argv, machine, suite, summary, table, time_command
from shared.settings import ServiceSettings

PAYLOAD = {"language": "python", "source": "print(1)"}


async def time_api(url: str, runs: int, warmup: int, pause_s: float) -> tuple[list[float], list[uuid.UUID]]:
    samples, ids = [], []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for i in range(warmup + runs):
            await asyncio.sleep(pause_s)
            start = time.perf_counter()
            response = await client.post("/v1/executions", params={"wait": "true"}, json=PAYLOAD)
            elapsed = (time.perf_counter() - start) * 1000
            body = response.json()
            if response.status_code != 200 or body["run"]["stdout"] != "1\n":
                raise RuntimeError(f"unexpected response {response.status_code}: {body}")
            if i >= warmup:
                samples.append(elapsed)
                ids.append(uuid.UUID(body["id"]))
    return samples, ids


async def dispatch_latency(ids: list[uuid.UUID]) -> list[float]:
    """Enqueue to executor start, as the executor recorded it for each execution."""
    url = ServiceSettings().database_url.get_secret_value().replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT queue_wait_us FROM executions WHERE id = ANY($1::uuid[])", ids)
    finally:
        await connection.close()
    return [row["queue_wait_us"] / 1000 for row in rows if row["queue_wait_us"] is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite")
    parser.add_argument("--runs", type=int, default=200, help="API submissions and bare runs")
    parser.add_argument("--docker-runs", type=int, default=20)
    parser.add_argument("--pause-ms", type=float, default=600, help="think time between API submissions")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    bare = summary(time_command([BARE_PYTHON, "-c", "print(1)"], args.runs))
    docker = summary(time_command(docker_run_argv("python3", "-c", "print(1)"), args.docker_runs))
    with suite(args.url) as url:
        api_samples, ids = asyncio.run(time_api(url, args.runs, warmup=10, pause_s=args.pause_ms / 1000))
    api = summary(api_samples)
    dispatch = summary(asyncio.run(dispatch_latency(ids)))

    rows = [
        (f"bare {BARE_PYTHON} -c 'print(1)'", bare),
        ("docker run --rm --network none (same image)", docker),
        ("CodeRunHub POST /v1/executions?wait=true", api),
    ]
    print(f"machine: {machine()}")
    print(table(rows, "ms", {"bare": bare["p50"], "docker": docker["p50"]}))
    print(
        f"dispatch, enqueue to executor start (same submissions): p50 {dispatch['p50']:.2f} ms, "
        f"p90 {dispatch['p90']:.2f} ms, p99 {dispatch['p99']:.2f} ms"
    )
    if args.json:
        figures = {name: values for name, values in rows} | {"dispatch": dispatch}
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
