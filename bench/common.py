"""Shared pieces of the benchmarks: percentiles, machine CPU, and a suite to measure."""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from shared.redis_keys import executor_heartbeat

ROOT = Path(__file__).resolve().parent.parent
BARE_PYTHON = "/usr/bin/python3"
PYTHON_IMAGE = "coderunhub/runtime-python:latest"
# The suite a benchmark starts: its own Redis database, a warm pool deep enough for a burst of 16.
SUITE_ENV = {
    "CRH_REDIS_URL": os.environ.get("CRH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    "CRH_EXECUTOR_EXECUTOR_ID": "executor-bench",
    "CRH_EXECUTOR_CONCURRENCY": "4",
    "CRH_EXECUTOR_POOL_SIZES": '{"python": 16}',
    "CRH_LOG_LEVEL": "WARNING",
    # A `make run` executor may hold the default metrics port.
    "CRH_EXECUTOR_METRICS_PORT": "0",
    # Bursts from one address: the gateway's rate limits and in-flight caps would be measured instead.
    "CRH_GATEWAY_ANONYMOUS_RATE_LIMITS": '{"executions": "100000/minute", "reads": "100000/minute", '
    '"writes": "100000/minute", "max_in_flight": 10000}',
}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p90": percentile(samples, 90),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
        "max": max(samples),
    }


def machine() -> str:
    return f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, kernel {platform.release()}"


def busy_cpu_seconds() -> float:
    """CPU time the whole machine spent not idle (all processes: services, engine, sandboxes)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def time_command(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def docker_run_argv(*command: str) -> list[str]:
    return ["docker", "run", "--rm", "--network", "none", PYTHON_IMAGE, *command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    try:
        if httpx.get(f"{url}/readyz", timeout=1).status_code != 200:
            return False
        languages = httpx.get(f"{url}/v1/languages", timeout=2).json()
    except httpx.HTTPError:
        return False
    return any(item["id"] == "python" and item["version"] for item in languages)


def wait_for_warm_pool(timeout_s: float = 180.0, executor_id: str = SUITE_ENV["CRH_EXECUTOR_EXECUTOR_ID"]) -> None:
    """Measure a steady state: wait until the executor's pool is full (its heartbeat says so)."""
    client = redis.Redis.from_url(SUITE_ENV["CRH_REDIS_URL"])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            raw = client.get(executor_heartbeat(executor_id))
            pool = json.loads(raw)["pool"] if raw else None  # type: ignore[arg-type]
            if pool and pool["target"] and pool["idle"] + pool.get("reused", 0) >= pool["target"]:
                time.sleep(2)  # and let the machine settle
                return
            time.sleep(0.5)
    finally:
        client.close()
    raise TimeoutError("the executor's pool did not fill")


@dataclass(frozen=True)
class Suite:
    url: str
    # Authorization header with an API key (an account's policy and budgets, as integrators call).
    headers: dict[str, str]


def api_key(auth_url: str, log_path: Path, scopes: tuple[str, ...] = ("executions:write", "executions:read")) -> str:
    """Sign in by phone with the development provider (its code is in the auth log, as in
    development), then create an API key with ``scopes``, as a developer would."""
    # A valid US number of area 628 (its exchange must not start with 0 or 1).
    phone = f"+1628{secrets.choice(range(200, 1000))}{secrets.randbelow(10_000):04d}"
    with httpx.Client(base_url=auth_url, timeout=30) as client:
        started = client.post("/auth/v1/phone/start", json={"phone": phone})
        started.raise_for_status()
        e164 = started.json()["phone"]
        deadline = time.monotonic() + 10
        code = None
        while code is None and time.monotonic() < deadline:
            found = re.search(rf"code for {re.escape(e164)} is (\d+)", log_path.read_text(errors="replace"))
            code = found.group(1) if found else None
            time.sleep(0.1)
        if code is None:
            raise RuntimeError(f"no development code for {e164} in {log_path}")
        verified = client.post("/auth/v1/phone/verify", json={"phone": e164, "code": code})
        verified.raise_for_status()
        token = verified.json()["access_token"]
        created = client.post(
            "/auth/v1/api-keys",
            json={"name": "bench", "scopes": list(scopes)},
            headers={"Authorization": f"Bearer {token}"},
        )
        created.raise_for_status()
        key: str = created.json()["key"]
        return key


@contextmanager
def keyed_suite(url: str | None = None, **env: str) -> Iterator[Suite]:
    """A suite with an API key: the one at ``url`` (key in CRH_BENCH_API_KEY), else gateway,
    executor and auth started here (``env`` overrides their settings, e.g. the sandbox mode)."""
    if url and _ready(url):
        yield Suite(url, {"Authorization": f"Bearer {os.environ['CRH_BENCH_API_KEY']}"})
        return
    port, auth_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    auth_log = Path("/tmp/coderunhub-bench-auth.log")
    auth_log.write_text("")
    base = {
        **os.environ,
        **SUITE_ENV,
        "CRH_GATEWAY_PORT": str(port),
        "CRH_AUTH_PORT": str(auth_port),
        "CRH_AUTH_PUBLIC_URL": auth_url,
        "CRH_GATEWAY_AUTH_JWKS_URL": f"{auth_url}/auth/v1/.well-known/jwks.json",
        "CRH_LOG_JSON": "false",
        "CRH_GATEWAY_USER_RATE_LIMITS": SUITE_ENV["CRH_GATEWAY_ANONYMOUS_RATE_LIMITS"],
        **env,
    }
    procs = []
    with open("/tmp/coderunhub-bench.log", "ab") as logs, open(auth_log, "ab") as auth_logs:
        for module in ("services.executor", "services.gateway"):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", module], cwd=ROOT, env=base, stdout=logs, stderr=subprocess.STDOUT
                )
            )
        auth_env = {**base, "CRH_LOG_LEVEL": "WARNING"}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "services.auth"],
                cwd=ROOT,
                env=auth_env,
                stdout=auth_logs,
                stderr=subprocess.STDOUT,
            )
        )
        started = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while not _ready(started) or not _up(f"{auth_url}/healthz"):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError("the suite did not start; see /tmp/coderunhub-bench*.log")
                time.sleep(0.2)
            key = api_key(auth_url, auth_log)
            wait_for_warm_pool()
            yield Suite(started, {"Authorization": f"Bearer {key}"})
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def suite(url: str | None = None) -> Iterator[str]:
    """The suite at ``url`` if one answers there, else a gateway and an executor started here."""
    if url and _ready(url):
        yield url
        return
    port = free_port()
    env = {**os.environ, **SUITE_ENV, "CRH_GATEWAY_PORT": str(port)}
    with open("/tmp/coderunhub-bench.log", "ab") as logs:
        procs = [
            subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
            for module in ("services.executor", "services.gateway")
        ]
        started = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while not _ready(started):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError("the suite did not start; see /tmp/coderunhub-bench.log")
                time.sleep(0.2)
            wait_for_warm_pool()
            yield started
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)


def table(rows: list[tuple[str, dict[str, float]]], unit: str, baselines: dict[str, float]) -> str:
    names = list(baselines)
    head = f"{'':46} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8}" + "".join(f" {'x ' + n:>9}" for n in names)
    lines = [head + f"   ({unit})"]
    for name, s in rows:
        ratios = "".join(f" {s['p50'] / baselines[n]:>9.2f}" for n in names)
        lines.append(
            f"{name:46} {s['n']:>5.0f} {s['p50']:>8.2f} {s['p90']:>8.2f} {s['p99']:>8.2f} {s['mean']:>8.2f}{ratios}"
        )
    return "\n".join(lines)
