"""What the Judge0 and Piston shapes of the API cost next to the native one, in the same run.

Python hello world, one client with an API key, back to back (the next request as soon as the
previous answer arrives), through each door in turn, in interleaved blocks so all three see the
machine at the same moments:

- ``POST /v1/executions?wait=true`` (native),
- ``POST /judge0/submissions?wait=true`` with the key in ``X-Auth-Token`` (Judge0 CE),
- ``POST /api/v2/execute`` (Piston v2, which always waits),

next to a bare ``/usr/bin/python3 -c 'print(1)'`` and ``docker run --rm --network none`` of the
same command in CodeRunHub's Python image. All three run Python 3.13 in the same warm pool.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import BARE_PYTHON, Suite, docker_run_argv, keyed_suite, machine, summary, table, time_command

SOURCE = "print(1)"
BLOCK = 25


def _native(body: dict[str, Any]) -> bool:
    return body.get("verdict") == "ok" and body["run"]["stdout"] == "1\n"


def _judge0(body: dict[str, Any]) -> bool:
    return body.get("status", {}).get("id") == 3 and body.get("stdout") == "1\n"


def _piston(body: dict[str, Any]) -> bool:
    run = body.get("run") or {}
    return bool(run.get("stdout") == "1\n" and run.get("code") == 0)


# name -> (path, query, body, success check)
DOORS: dict[str, tuple[str, dict[str, str], dict[str, Any], Callable[[dict[str, Any]], bool]]] = {
    "native": ("/v1/executions", {"wait": "true"}, {"language": "python", "source": SOURCE}, _native),
    "judge0": ("/judge0/submissions", {"wait": "true"}, {"language_id": 71, "source_code": SOURCE}, _judge0),
    "piston": (
        "/api/v2/execute",
        {},
        {"language": "python", "version": "3.13.x", "files": [{"name": "main.py", "content": SOURCE}]},
        _piston,
    ),
}


async def time_door(suite: Suite, door: str, runs: int, warmup: int) -> list[float]:
    path, query, body, ok = DOORS[door]
    key = suite.headers["Authorization"].removeprefix("Bearer ")
    headers = {"X-Auth-Token": key} if door == "judge0" else suite.headers
    samples = []
    async with httpx.AsyncClient(base_url=suite.url, timeout=120, headers=headers) as client:
        for i in range(warmup + runs):
            start = time.perf_counter()
            response = await client.post(path, params=query, json=body)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code not in (200, 201) or not ok(response.json()):
                raise RuntimeError(f"{door}: unexpected answer {response.status_code}: {response.text[:300]}")
            if i >= warmup:
                samples.append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite (and CRH_BENCH_API_KEY)"
    )
    parser.add_argument("--runs", type=int, default=200, help="back-to-back requests per door, and bare runs")
    parser.add_argument("--docker-runs", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    docker = summary(time_command(docker_run_argv("python3", "-c", SOURCE), args.docker_runs))
    samples: dict[str, list[float]] = {door: [] for door in DOORS}
    bare_samples: list[float] = []
    with keyed_suite(args.url) as suite:
        for start in range(0, args.runs, BLOCK):
            count = min(BLOCK, args.runs - start)
            bare_samples += time_command([BARE_PYTHON, "-c", SOURCE], count)
            for door in DOORS:
                samples[door] += asyncio.run(time_door(suite, door, count, warmup=10 if start == 0 else 2))

    bare = summary(bare_samples)
    native = summary(samples["native"])
    rows = [
        (f"bare {BARE_PYTHON} -c 'print(1)'", bare),
        ("docker run --rm --network none (same image)", docker),
        ("native  POST /v1/executions?wait=true", native),
        ("Judge0  POST /judge0/submissions?wait=true", summary(samples["judge0"])),
        ("Piston  POST /api/v2/execute", summary(samples["piston"])),
    ]
    print(f"machine: {machine()}")
    print("back to back, one client, Python hello world")
    print(table(rows, "ms", {"bare": bare["p50"], "docker": docker["p50"], "native": native["p50"]}))
    if args.json:
        args.json.write_text(json.dumps(dict(rows), indent=2))


if __name__ == "__main__":
    main()
