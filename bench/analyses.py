"""``POST /v1/analyses`` (Python: ruff 0.17.6 in the analysis image's sandboxes) as an editor
uses it, next to ruff run bare and through ``docker run`` in the same invocation.

One client with an API key, back to back (the next request as soon as the answer arrives),
in interleaved blocks so every series sees the machine at the same moments:

- lint, the file changed each time (a new comment line: a cache miss, as while typing);
- lint, the same file again (the answer from the gateway's Redis cache, ``cached: true``);
- lint + format, the file changed each time (two tool runs, each in a sandbox);
- baselines: the same ``ruff check`` argv the executor runs (``--isolated --no-cache --exit-zero
  --output-format json --target-version py313``) as a bare local process of the same version on
  the same file (and ``ruff format`` after it for lint + format), and ``docker run --rm --network
  none`` of the analysis image with that ruff, reading the file on stdin.

Then closed loop: ``--clients`` clients (8) for ``--duration`` s (30), each request a file never
sent before, with the machine's CPU per analysis split by component; baselines: bare ruff from
the same number of concurrent loops, and ``docker run`` from them. The suite the bench starts
lifts the per-user analyses budget and in-flight cap (as the other benches lift executions'), so
that the platform is measured rather than its rate limits; 429s (a running suite's limits, with
``--url``) are counted apart. The executor runs analyses with its defaults (one at a time, one warm
sandbox per caller class) unless ``--analysis-concurrency`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import cpu
from bench.common import (
    ROOT,
    SUITE_ENV,
    Suite,
    busy_cpu_seconds,
    keyed_suite,
    machine,
    summary,
    table,
)
from shared.analysis.tools import RUFF

IMAGE = "coderunhub/runtime-analysis:latest"
# One thread, as the executor runs the tools (services/executor/analysis_sandboxes.py, TOOL_ENV).
TOOL_ENV = {"RAYON_NUM_THREADS": "1"}
TARGET = "py313"
BLOCK = 20
# What an editor sends: a module of ~55 lines with findings under ruff's default rules (imports
# unsorted, one unused, an undefined name) and lines the formatter rewrites.
SOURCE = '''"""Inventory helpers."""

import os
import json
from dataclasses import dataclass, field


@dataclass
class Item:
    name: str
    price: float
    tags: list[str] = field(default_factory=list)

    def total(self, quantity: int) -> float:
        if quantity == None:
            return 0.0
        return self.price*quantity


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items[item.name] = item

    def remove(self, name: str) -> Item | None:
        return self.items.pop(name, None)

    def tagged(self, tag: str) -> list[Item]:
        return [item for item in self.items.values() if tag in item.tags]

    def value(self) -> float:
        return sum( item.price for item in self.items.values() )

    def to_json(self) -> str:
        return json.dumps({name: {"price": item.price, "tags": item.tags} for name, item in self.items.items()})


def load(text: str) -> Inventory:
    inventory = Inventory()
    for name, data in json.loads(text).items():
        inventory.add(Item(name, data["price"], data.get("tags", [])))
    return inventory


def cheapest(inventory: Inventory, count: int = 3) -> list[Item]:
    ranked = sorted(inventory.items.values(), key=lambda item: item.price)
    return ranked[:count]


if __name__ == "__main__":
    stock = load('{"pen": {"price": 1.5, "tags": ["office"]}, "lamp": {"price": 20, "tags": ["home"]}}')
    print(stock.value(), [item.name for item in cheapest(stock)])
    print(undefined_total)
'''
# The suite's user limits with the analyses budget and in-flight cap lifted too.
LIMITS = json.dumps(
    {
        **json.loads(SUITE_ENV["CRH_GATEWAY_ANONYMOUS_RATE_LIMITS"]),
        "analyses": "100000/minute",
        "max_analyses_in_flight": 10000,
    }
)


def fresh_source() -> str:
    """The file after a keystroke somewhere: content never analysed before."""
    return f"# edit {uuid.uuid4().hex}\n{SOURCE}"


def request(content: str, checks: list[str]) -> dict[str, Any]:
    return {"language": "python", "files": [{"name": "main.py", "content": content}], "checks": checks}


# --- baselines -----------------------------------------------------------------------------


def check_argv(ruff: str, path: str) -> list[str]:
    """The executor's argv (shared/analysis/tools.py plan()), on ``path``."""
    return [
        ruff,
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        "--target-version",
        TARGET,
        "--",
        path,
    ]


def format_argv(ruff: str, path: str) -> list[str]:
    return [ruff, "format", "--isolated", "--no-cache", "--quiet", "--target-version", TARGET, "--", path]


def local_ruff() -> tuple[str, str]:
    """A local ruff of the analysis image's version: the project's .venv one when it is that version,
    else one installed into build/bench-ruff from PyPI. Its path and what it says its version is."""
    for candidate in (ROOT / ".venv" / "bin" / "ruff", ROOT / "build" / "bench-ruff" / "bin" / "ruff"):
        if candidate.exists():
            version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True).stdout.strip()
            if version.split()[-1:] == [RUFF.version]:
                return str(candidate), version
    venv = ROOT / "build" / "bench-ruff"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", f"ruff=={RUFF.version}"], check=True)
    ruff = venv / "bin" / "ruff"
    return str(ruff), subprocess.run([str(ruff), "--version"], capture_output=True, text=True).stdout.strip()


class Bare:
    """ruff as a local process on a file in a directory of its own."""

    def __init__(self, ruff: str) -> None:
        self.ruff = ruff
        self.dir = Path(tempfile.mkdtemp(prefix="crh-bench-ruff-"))
        self.env = {**os.environ, **TOOL_ENV}

    def run(self, checks: list[str], content: str) -> float:
        path = self.dir / f"{uuid.uuid4().hex[:8]}" / "main.py"
        path.parent.mkdir()
        path.write_text(content)
        start = time.perf_counter()
        out = subprocess.run(check_argv(self.ruff, str(path)), capture_output=True, check=True, env=self.env).stdout
        if "format" in checks:
            subprocess.run(format_argv(self.ruff, str(path)), capture_output=True, check=True, env=self.env)
        elapsed = (time.perf_counter() - start) * 1000
        if not json.loads(out):
            raise RuntimeError("bare ruff found nothing: not the same work")
        return elapsed

    def series(self, checks: list[str], count: int) -> list[float]:
        return [self.run(checks, fresh_source()) for _ in range(count)]


def docker_argv() -> list[str]:
    return [
        "docker",
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        *(f"--env={name}={value}" for name, value in TOOL_ENV.items()),
        IMAGE,
        RUFF.path,
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        "--target-version",
        TARGET,
        "--stdin-filename",
        "main.py",
        "-",
    ]


def docker_run(count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        out = subprocess.run(docker_argv(), input=fresh_source().encode(), capture_output=True, check=True).stdout
        samples.append((time.perf_counter() - start) * 1000)
        if not json.loads(out):
            raise RuntimeError("ruff in docker run found nothing")
    return samples


def loops(clients: int, duration_s: float, once: Any) -> dict[str, float]:
    """``once()`` from ``clients`` concurrent loops for ``duration_s``: per second, machine CPU each."""
    done: list[int] = []
    stop = time.monotonic() + duration_s

    def loop() -> None:
        while time.monotonic() < stop:
            once()
            done.append(1)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    machine_before, start = busy_cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, used = time.perf_counter() - start, busy_cpu_seconds() - machine_before
    return {"per_s": len(done) / wall, "cpu_ms_each": used * 1000 / max(len(done), 1), "runs": len(done)}


# --- the API -------------------------------------------------------------------------------


class Api:
    def __init__(self, suite: Suite) -> None:
        self.client = httpx.AsyncClient(base_url=suite.url, headers=suite.headers, timeout=60)
        # Tool wall time inside the sandbox (the answer's duration_ms), per series.
        self.tool_ms: dict[str, list[float]] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def once(self, body: dict[str, Any], cached: bool, series: str = "") -> float:
        start = time.perf_counter()
        response = await self.client.post("/v1/analyses", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        answer = response.json()
        if response.status_code != 200 or answer.get("status") != "ok" or answer.get("cached") is not cached:
            raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:300]}")
        if not answer["diagnostics"] or ("format" in body["checks"] and not answer["formatted"]):
            raise RuntimeError(f"an answer without the expected findings: {response.text[:300]}")
        if series and not cached:
            self.tool_ms.setdefault(series, []).append(float(answer["duration_ms"]))
        return elapsed

    async def series(self, checks: list[str], count: int, series: str) -> list[float]:
        return [await self.once(request(fresh_source(), checks), cached=False, series=series) for _ in range(count)]

    async def hits(self, content: str, count: int) -> list[float]:
        return [await self.once(request(content, ["lint"]), cached=True) for _ in range(count)]

    async def ready(self, timeout_s: float = 120) -> None:
        """Until the executors have reported the tools (503 analysis-unavailable before)."""
        deadline = time.monotonic() + timeout_s
        while True:
            response = await self.client.post("/v1/analyses", json=request(fresh_source(), ["lint"]))
            if response.status_code == 200:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"analyses unavailable: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(1)


async def closed_loop(suite: Suite, clients: int, duration_s: float) -> dict[str, Any]:
    """``clients`` clients, each sending a new file as soon as the last answer arrives."""
    latency: list[float] = []
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(base_url=suite.url, headers=suite.headers, timeout=60, limits=limits) as client:
        stop = 0.0

        async def loop() -> None:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    response = await client.post("/v1/analyses", json=request(fresh_source(), ["lint"]))
                except httpx.HTTPError as error:
                    outcomes[f"error {type(error).__name__}"] += 1
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code == 200 and response.json().get("status") == "ok":
                    outcomes["ok"] += 1
                    latency.append(elapsed)
                elif response.status_code == 429:
                    outcomes["429 (intended)"] += 1
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                else:
                    outcomes[f"http {response.status_code}"] += 1

        before, own_before = cpu.sample(), time.process_time()
        start = time.perf_counter()
        stop = start + duration_s
        await asyncio.gather(*(loop() for _ in range(clients)))
        wall = time.perf_counter() - start
        used = cpu.split(before, cpu.sample())
        used["bench client"] = time.process_time() - own_before
        used["other"] -= used["bench client"]
    done = outcomes["ok"]
    return {
        "clients": clients,
        "duration_s": duration_s,
        "wall_s": round(wall, 1),
        "analyses": done,
        "per_s": done / wall,
        "outcomes": dict(outcomes),
        "errors": sum(n for outcome, n in outcomes.items() if outcome not in ("ok", "429 (intended)")),
        "latency_ms": summary(latency) if latency else {},
        "cpu_ms_per_analysis": {
            name: round(seconds * 1000 / max(done, 1), 1)
            for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])
        },
    }


async def measure(suite: Suite, args: argparse.Namespace, bare: Bare) -> dict[str, Any]:
    api = Api(suite)
    try:
        await api.ready()
        # Warm-up: the sandboxes' first runs, the connections, the page cache.
        await api.series(["lint"], 10, "")
        await api.series(["lint", "format"], 5, "")
        bare.series(["lint"], 10)
        hit_content = fresh_source()
        await api.once(request(hit_content, ["lint"]), cached=False)
        samples: dict[str, list[float]] = {k: [] for k in ("bare", "bare_format", "miss", "hit", "format")}
        for offset in range(0, args.runs, BLOCK):
            count = min(BLOCK, args.runs - offset)
            samples["bare"] += bare.series(["lint"], count)
            samples["miss"] += await api.series(["lint"], count, "lint")
            samples["hit"] += await api.hits(hit_content, count)
            samples["format"] += await api.series(["lint", "format"], count, "lint+format")
            samples["bare_format"] += bare.series(["lint", "format"], count)
        results: dict[str, Any] = {"back_to_back": samples, "tool_ms": api.tool_ms}
    finally:
        await api.aclose()
    await closed_loop(suite, args.clients, 5)  # warm-up
    results["closed_loop"] = await closed_loop(suite, args.clients, args.duration)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite (and CRH_BENCH_API_KEY)"
    )
    parser.add_argument("--runs", type=int, default=100, help="back-to-back requests per series, and bare runs")
    parser.add_argument("--docker-runs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--analysis-concurrency", type=int, help="the executor's analysis lane (default: its own, 1) and warm sandboxes"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    ruff, version = local_ruff()
    bare = Bare(ruff)
    docker = summary(docker_run(args.docker_runs))
    # The auth service's per-address sign-in cap counts every bench run of the hour (one Redis database).
    env = {"CRH_GATEWAY_USER_RATE_LIMITS": LIMITS, "CRH_AUTH_OTP_STARTS_PER_ADDRESS_PER_HOUR": "10000"}
    if args.analysis_concurrency:
        env["CRH_EXECUTOR_ANALYSIS_CONCURRENCY"] = str(args.analysis_concurrency)
        env["CRH_EXECUTOR_ANALYSIS_POOL_SIZE"] = str(args.analysis_concurrency)
    try:
        with keyed_suite(args.url, **env) as suite:
            results = asyncio.run(measure(suite, args, bare))
        bare_loops = loops(args.clients, 10.0, lambda: bare.run(["lint"], fresh_source()))
        docker_loops = loops(
            args.clients,
            min(args.duration, 20.0),
            lambda: subprocess.run(docker_argv(), input=fresh_source().encode(), capture_output=True, check=True),
        )
    finally:
        shutil.rmtree(bare.dir, ignore_errors=True)

    b2b = results["back_to_back"]
    bare_lint, bare_format = summary(b2b["bare"]), summary(b2b["bare_format"])
    rows = [
        (f"bare ruff check ({version}), local process", bare_lint),
        ("bare ruff check + ruff format", bare_format),
        ("docker run --rm --network none, ruff check", docker),
        ("API lint, new content (cache miss)", summary(b2b["miss"])),
        ("API lint, same content (cache hit)", summary(b2b["hit"])),
        ("API lint + format, new content", summary(b2b["format"])),
    ]
    print(f"machine: {machine()}")
    print("back to back, one client, a 56-line Python file (3 findings), tools on one thread")
    print(table(rows, "ms", {"bare": bare_lint["p50"], "bare+fmt": bare_format["p50"], "docker": docker["p50"]}))
    for series, values in results["tool_ms"].items():
        print(f"  {series}: the tools' own wall time in the sandbox (duration_ms) p50 {summary(values)['p50']:.0f} ms")
    loop = results["closed_loop"]
    lat = loop["latency_ms"]
    parts = ", ".join(f"{k} {v}" for k, v in loop["cpu_ms_per_analysis"].items())
    print(
        f"closed loop, {loop['clients']} clients, {loop['duration_s']:.0f} s, new content each: "
        f"{loop['per_s']:.1f}/s ({loop['analyses']}), errors {loop['errors']} {loop['outcomes']}, "
        f"latency p50 {lat.get('p50', 0):.0f} p95 {lat.get('p95', 0):.0f} p99 {lat.get('p99', 0):.0f} ms"
    )
    print(f"    machine CPU per analysis (ms): {parts}")
    print(
        f"baseline bare ruff check, {args.clients} concurrent loops: {bare_loops['per_s']:.1f}/s, "
        f"{bare_loops['cpu_ms_each']:.1f} ms of machine CPU each"
    )
    print(
        f"baseline docker run ruff check, {args.clients} concurrent loops: {docker_loops['per_s']:.2f}/s, "
        f"{docker_loops['cpu_ms_each']:.0f} ms of machine CPU each"
    )
    if args.json:
        args.json.write_text(
            json.dumps({**results, "bare_loops": bare_loops, "docker_loops": docker_loops, "docker": docker}, indent=2)
        )


if __name__ == "__main__":
    main()
