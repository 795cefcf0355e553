"""Submit-to-result latency, next to baselines measured in the same run.

Python hello world through ``POST /v1/executions?wait=true`` with an API key, one client:
back to back (the next submission as soon as the previous answer arrives, as a judge loop or an
integrator's steady traffic does) and with 600 ms pauses (a person clicking Run). Then C and Java
hello worlds (compile and run), back to back.

Baselines: a bare ``/usr/bin/python3 -c 'print(1)'`` (Debian's interpreter, not a pyenv shim),
the same compilers run bare on this machine, and ``docker run --rm --network none`` of the
Python command in CodeRunHub's Python image. Dispatch (enqueue to executor start) of the same
submissions comes from the executions' rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import BARE_PYTHON, Suite, docker_run_argv, keyed_suite, machine, summary, table, time_command
from shared.settings import ServiceSettings

PYTHON = {"language": "python", "source": "print(1)"}
C_SOURCE = '#include <stdio.h>\nint main(void) { puts("1"); return 0; }\n'
JAVA_SOURCE = 'public class Main { public static void main(String[] a) { System.out.println("1"); } }\n'
COMPILED = {
    "c": ({"language": "c", "source": C_SOURCE}, ["gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"]),
    "java": ({"language": "java", "source": JAVA_SOURCE}, ["javac", "-d", "out", "Main.java"]),
}
# Before this change (container per execution), measured on this machine the same day
# (../shared/reference/performance.md): end-to-end compile + run.
BEFORE_MS = {"c": 90.0, "java": 680.0}
# Bare runs and back-to-back submissions alternate in blocks of this many.
BLOCK = 50


async def time_api(
    suite: Suite, payload: dict[str, Any], runs: int, warmup: int, pause_s: float
) -> tuple[list[float], list[uuid.UUID]]:
    samples, ids = [], []
    async with httpx.AsyncClient(base_url=suite.url, timeout=120, headers=suite.headers) as client:
        for i in range(warmup + runs):
            if pause_s:
                await asyncio.sleep(pause_s)
            start = time.perf_counter()
            response = await client.post("/v1/executions", params={"wait": "true"}, json=payload)
            elapsed = (time.perf_counter() - start) * 1000
            body = response.json()
            if response.status_code != 200 or body["verdict"] != "ok" or body["run"]["stdout"] != "1\n":
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


def bare_compile(language: str, runs: int) -> list[float] | None:
    """The compiler (and the program) run bare on this machine, when it has them."""
    payload, command = COMPILED[language]
    if shutil.which(command[0]) is None:
        return None
    samples = []
    with tempfile.TemporaryDirectory() as work:
        name = "main.c" if language == "c" else "Main.java"
        Path(work, name).write_text(payload["source"])
        run = ["./main"] if language == "c" else ["java", "-cp", "out", "Main"]
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, cwd=work, check=True)
            subprocess.run(run, cwd=work, check=True, stdout=subprocess.DEVNULL)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite (and CRH_BENCH_API_KEY)"
    )
    parser.add_argument("--runs", type=int, default=300, help="back-to-back API submissions and bare runs")
    parser.add_argument("--paused-runs", type=int, default=100)
    parser.add_argument("--pause-ms", type=float, default=600, help="think time of the paused series")
    parser.add_argument("--docker-runs", type=int, default=20)
    parser.add_argument("--compiled-runs", type=int, default=20)
    parser.add_argument("--sandbox-mode", choices=["reuse", "fresh"], default="reuse")
    parser.add_argument("--runtime", default="runc", help="runc, or runsc for gVisor")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    docker = summary(time_command(docker_run_argv("python3", "-c", "print(1)"), args.docker_runs))
    env = {"CRH_EXECUTOR_SANDBOX_MODE": args.sandbox_mode, "CRH_EXECUTOR_RUNTIME": args.runtime}
    compiled: dict[str, tuple[list[float], list[float] | None]] = {}
    bare_samples: list[float] = []
    back_to_back: list[float] = []
    ids: list[uuid.UUID] = []
    with keyed_suite(args.url, **env) as suite:
        # Bare runs and back-to-back submissions alternate in blocks, so both see the machine at
        # the same moments: this VM's speed drifts by tens of percent over minutes.
        for start in range(0, args.runs, BLOCK):
            count = min(BLOCK, args.runs - start)
            bare_samples += time_command([BARE_PYTHON, "-c", "print(1)"], count)
            samples, block_ids = asyncio.run(time_api(suite, PYTHON, count, warmup=20 if start == 0 else 5, pause_s=0))
            back_to_back += samples
            ids += block_ids
        paused, _ = asyncio.run(time_api(suite, PYTHON, args.paused_runs, warmup=5, pause_s=args.pause_ms / 1000))
        for language in COMPILED:
            samples, _ = asyncio.run(time_api(suite, COMPILED[language][0], args.compiled_runs, warmup=3, pause_s=0))
            compiled[language] = (samples, bare_compile(language, args.compiled_runs))
    dispatch = summary(asyncio.run(dispatch_latency(ids)))

    bare = summary(bare_samples)
    mode = f"{args.sandbox_mode}, {args.runtime}"
    rows = [
        (f"bare {BARE_PYTHON} -c 'print(1)'", bare),
        ("docker run --rm --network none (same image)", docker),
        (f"POST ?wait=true back to back ({mode})", summary(back_to_back)),
        (f"POST ?wait=true, {args.pause_ms:.0f} ms pauses ({mode})", summary(paused)),
    ]
    print(f"machine: {machine()}")
    print(table(rows, "ms", {"bare": bare["p50"], "docker": docker["p50"]}))
    print(
        f"dispatch, enqueue to executor start (back-to-back submissions): p50 {dispatch['p50']:.2f} ms, "
        f"p90 {dispatch['p90']:.2f} ms, p99 {dispatch['p99']:.2f} ms"
    )
    figures: dict[str, Any] = {name: values for name, values in rows} | {"dispatch": dispatch}
    for language, (samples, bare_compiler) in compiled.items():
        api = summary(samples)
        line = f"{language} hello, compile + run through the API: p50 {api['p50']:.0f} ms, p99 {api['p99']:.0f} ms"
        line += f" (before: {BEFORE_MS[language]:.0f} ms)"
        if bare_compiler:
            bare_compiled = summary(bare_compiler)
            line += f"; the same compiler and program bare: p50 {bare_compiled['p50']:.0f} ms"
            figures[f"{language} bare"] = bare_compiled
        print(line)
        figures[language] = api
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
