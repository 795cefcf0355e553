"""Closed-loop throughput of Python hello worlds, with the machine's CPU per execution split by
where it went, next to baselines measured in the same run.

N clients (8 by default) each submit ``POST /v1/executions?wait=true`` with an API key, the next
as soon as the previous answer arrives, for T seconds (wrk with a Lua script that checks every
answer is 200 and ``"verdict":"ok"``; wrk's own CPU is a few percent of a core). CPU per
execution: program and sandbox (the containers' cgroups: interpreter, agent, cells), the Docker
engine, executor, gateway, auth, PostgreSQL, Redis, and the rest (the load generator, kernel
workers). Modes: reuse (containers serve execution after execution), fresh (a never-used container
per execution), both on runc, and gVisor (runsc, fresh) with --runtime runsc. Baselines: bare
Python one after another, and ``docker run --rm`` with N concurrent loops.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import cpu
from bench.common import BARE_PYTHON, busy_cpu_seconds, docker_run_argv, keyed_suite, machine, time_command

LUA = """
wrk.method = "POST"
wrk.path = "/v1/executions?wait=true"
wrk.body = '{"language":"python","source":"print(1)"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("CRH_BENCH_AUTHORIZATION")
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"verdict":"ok"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.3f %.3f %.3f\\n", summary.requests, bad,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def closed_loop(url: str, headers: dict[str, str], clients: int, duration_s: float) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA)
        script.flush()
        env = {**os.environ, "CRH_BENCH_AUTHORIZATION": headers["Authorization"]}
        before, start = cpu.sample(), time.perf_counter()
        out = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{int(duration_s)}s", "--timeout", "60s", "-s", script.name, url],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        wall, after = time.perf_counter() - start, cpu.sample()
    found = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk said: {out}")
    done, bad, socket_errors = int(found[1]), int(found[2]), int(found[3])
    split = cpu.split(before, after)
    return {
        "clients": clients,
        "executions": done,
        "per_s": done / wall,
        "errors": bad + socket_errors,
        "latency_ms": {"p50": float(found[4]), "p95": float(found[5]), "p99": float(found[6])},
        "cpu_ms_per_execution": {name: seconds * 1000 / max(done, 1) for name, seconds in split.items()},
    }


def docker_run_loops(clients: int, duration_s: float) -> dict[str, float]:
    """`docker run --rm` of the same hello world, from `clients` concurrent loops."""
    argv = docker_run_argv("python3", "-c", "print(1)")
    done: list[int] = []
    stop = time.monotonic() + duration_s

    def loop() -> None:
        while time.monotonic() < stop:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            done.append(1)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    machine_before, start = busy_cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, used = time.perf_counter() - start, busy_cpu_seconds() - machine_before
    return {"per_s": len(done) / wall, "cpu_ms_per_run": used * 1000 / max(len(done), 1)}


def describe(name: str, figures: dict[str, Any]) -> str:
    split = figures["cpu_ms_per_execution"]
    parts = ", ".join(f"{key} {value:.1f}" for key, value in sorted(split.items(), key=lambda kv: -kv[1]))
    lat = figures["latency_ms"]
    return (
        f"{name}: {figures['per_s']:.1f}/s ({figures['executions']} in the run), errors {figures['errors']}, "
        f"latency p50 {lat['p50']:.0f} ms p95 {lat['p95']:.0f} ms p99 {lat['p99']:.0f} ms\n"
        f"    machine CPU per execution (ms): {parts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--modes", default="reuse,fresh", help="comma-separated: reuse, fresh, gvisor")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    runs = 60
    samples = time_command([BARE_PYTHON, "-c", "print(1)"], runs)
    bare_cpu_before = busy_cpu_seconds()
    time_command([BARE_PYTHON, "-c", "print(1)"], runs)
    bare = {
        "per_s": 1000 / (sum(samples) / len(samples)),
        "cpu_ms_per_run": (busy_cpu_seconds() - bare_cpu_before) * 1000 / runs,
    }
    docker = docker_run_loops(args.clients, min(args.duration, 20.0))

    results: dict[str, Any] = {"bare": bare, "docker_run": docker}
    environments = {
        "reuse": {"CRH_EXECUTOR_SANDBOX_MODE": "reuse"},
        "fresh": {"CRH_EXECUTOR_SANDBOX_MODE": "fresh"},
        "gvisor": {"CRH_EXECUTOR_SANDBOX_MODE": "fresh", "CRH_EXECUTOR_RUNTIME": "runsc"},
    }
    for mode in args.modes.split(","):
        with keyed_suite(None, CRH_EXECUTOR_CONCURRENCY=str(args.clients), **environments[mode]) as suite:
            closed_loop(suite.url, suite.headers, args.clients, 5)  # warm-up
            results[mode] = closed_loop(suite.url, suite.headers, args.clients, args.duration)

    print(f"machine: {machine()}")
    print(
        f"baseline bare {BARE_PYTHON}, one after another: {bare['per_s']:.1f}/s, "
        + f"{bare['cpu_ms_per_run']:.1f} ms CPU each"
    )
    print(
        f"baseline docker run --rm, {args.clients} concurrent loops: {docker['per_s']:.2f}/s, "
        f"{docker['cpu_ms_per_run']:.0f} ms of machine CPU each"
    )
    for mode in args.modes.split(","):
        print(describe(f"closed loop, {args.clients} clients, {args.duration:.0f} s, {mode}", results[mode]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
