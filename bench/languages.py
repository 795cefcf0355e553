"""Hello world in every language and version: through the API, and bare in the same image.

For each version in the catalogue (``--only python,java@21,cpp`` narrows it to languages or keys),
its hello world (tests/e2e/programs.py) is submitted through ``POST /v1/executions?wait=true`` with
an API key, back to back, after warm-up submissions that are not counted (they also teach the
executor's warm pool the version's compile and run shapes). Figures: the client's wall time, and
the compile and run phases' own wall times from the results.

Baseline: the same compile and run commands (the catalogue's argv, expanded, and environment) run
bare in one long-lived container of the same runtime image per runtime, timed inside it (bash's
$EPOCHREALTIME around each command), so neither ``docker exec`` nor the platform is counted. Each
bare iteration starts from the sources alone and an empty /tmp, as a sandbox cell does. Bare and
API runs alternate in blocks, so both see the machine at the same moments.

Target: hello world p50 through the API <= 1,000 ms for compiled languages, <= 150 ms for
interpreted ones. A version whose runtime image is missing is a row with an error. The suite this
script starts pools one version up front (so its pool can fill whatever images exist); the
measured versions' shapes are pooled on demand by their warm-up submissions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from bench.common import Suite, keyed_suite, machine, percentile
from services.executor.sandbox.box import SANDBOX_PATH
from shared.languages import BY_KEY, Language
from shared.settings import ExecutorSettings
from tests.e2e.programs import PROGRAMS

HELLO = "Hello, world!\n"
TARGET_MS = {True: 1000.0, False: 150.0}  # compiled, interpreted
BARE_DIR = "/work/bench"


@dataclass
class Row:
    key: str
    image: str
    compiled: bool
    missing: bool = False  # the runtime image
    version: str | None = None
    api_ms: list[float] = field(default_factory=list)
    api_compile_ms: list[float] = field(default_factory=list)
    api_run_ms: list[float] = field(default_factory=list)
    bare_compile_ms: list[float] = field(default_factory=list)
    bare_run_ms: list[float] = field(default_factory=list)
    api_failures: int = 0
    bare_failures: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, error: str) -> None:
        if error not in self.errors and len(self.errors) < 5:
            self.errors.append(error)


def p50(samples: list[float]) -> float | None:
    return percentile(samples, 50) if samples else None


def select_versions(only: str | None) -> list[Language]:
    """Sorted by language; a language's versions in catalogue order (newest first)."""
    languages = sorted(BY_KEY.values(), key=lambda language: language.id)
    if not only:
        return languages
    wanted = [token.strip() for token in only.split(",") if token.strip()]
    unknown = [token for token in wanted if not any(token in (lang.id, lang.key) for lang in languages)]
    if unknown:
        raise SystemExit(f"not in the catalogue: {', '.join(unknown)}; keys: {', '.join(sorted(BY_KEY))}")
    return [language for language in languages if any(token in (language.id, language.key) for token in wanted)]


def image_present(image: str) -> bool:
    inspect = ["docker", "image", "inspect", "--format", "{{.Id}}", image]
    return subprocess.run(inspect, capture_output=True).returncode == 0


class Containers:
    """One long-lived container per runtime image, all removed by close() (Ctrl-C and errors too)."""

    def __init__(self) -> None:
        self._by_image: dict[str, str] = {}

    def get(self, image: str) -> str:
        if image not in self._by_image:
            name = f"crh-bench-languages-{secrets.token_hex(4)}"
            self._by_image[image] = name  # before it exists: close() removes a half-started one too
            argv = ["docker", "run", "-d", "--name", name, "--network", "none", "--user", "65534"]
            argv += ["-e", "HOME=/tmp", "--tmpfs", "/tmp:exec", "--tmpfs", "/work:exec", "-w", "/work"]
            subprocess.run([*argv, image, "sleep", "infinity"], check=True, capture_output=True)
        return self._by_image[image]

    def close(self) -> None:
        if self._by_image:
            subprocess.run(["docker", "rm", "-f", *self._by_image.values()], capture_output=True)
            self._by_image.clear()


# The loop runs in what the sandbox's agent gives a program (PATH, HOME and LANG); each command
# gets its language's variables as bash assignments (no extra process).
BARE_ENV = ["env", "-i", f"PATH={SANDBOX_PATH}", "HOME=/tmp", "LANG=C.UTF-8"]


def _command(env: Mapping[str, str], argv: list[str]) -> str:
    return " ".join([*(f"{name}={shlex.quote(value)}" for name, value in env.items()), shlex.join(argv)])


def prepare_bare(container: str, language: Language, source: str) -> str:
    """Write the sources (and support files) into the container; return the bare loop's script
    (its argument: the number of iterations)."""
    entry = language.file_name_for(source)
    files = {entry: source, **{n: c for n, c in language.support_files.items() if n != entry}, ".expected": HELLO}
    sources = f"{BARE_DIR}/{language.id}-{language.variant}"
    for name, content in files.items():
        write = 'mkdir -p "$(dirname "$1")" && cat > "$1"'
        path = f"{sources}/{name}"
        subprocess.run(
            ["docker", "exec", "-i", container, "sh", "-c", write, "sh", path], input=content.encode(), check=True
        )
    names = [entry]
    compile_cmd = ":"
    if language.compile is not None:
        argv = language.expand(language.compile, entry, names, entry_source=source)
        compile_cmd = _command(language.compile_env, argv)
    run_cmd = _command(language.run_env, language.expand(language.run, entry, names))
    work = f"{BARE_DIR}/cell"
    return f"""
for i in $(seq "$1"); do
  cd / && rm -rf {work} && find /tmp -mindepth 1 -delete 2>/dev/null
  cp -a {sources} {work} && cd {work} || exit 97
  s=${{EPOCHREALTIME/./}}
  {compile_cmd} >{BARE_DIR}/.compile.out 2>&1; c=$?
  m=${{EPOCHREALTIME/./}}
  if [ $c = 0 ]; then {run_cmd} >{BARE_DIR}/.stdout 2>{BARE_DIR}/.stderr; r=$?; else r=-1; fi
  e=${{EPOCHREALTIME/./}}
  ok=0; [ $r = 0 ] && cmp -s {BARE_DIR}/.stdout .expected && ok=1
  echo "T $((m - s)) $((e - m)) $ok"
  if [ $ok = 0 ]; then echo "E compile $c, run $r: $(head -c 300 {BARE_DIR}/.compile.out {BARE_DIR}/.stderr \
{BARE_DIR}/.stdout | tr '\\n' ' ')"; fi
done
"""


def bare_block(container: str, script: str, row: Row, runs: int, count: bool) -> None:
    done = subprocess.run(
        ["docker", "exec", container, *BARE_ENV, "bash", "-c", script, "bash", str(runs)],
        capture_output=True,
        text=True,
    )
    timed = [line.split() for line in done.stdout.splitlines() if line.startswith("T ")]
    for line in done.stdout.splitlines():
        if line.startswith("E "):
            row.note(f"bare: {line[2:].strip()}")
    if done.returncode != 0 or len(timed) != runs:
        row.note(f"bare: exit {done.returncode}: {done.stderr.strip()[:300]}")
    if not count:
        return
    for _, compile_us, run_us, ok in timed:
        if ok != "1":
            row.bare_failures += 1
            continue
        if row.compiled:
            row.bare_compile_ms.append(int(compile_us) / 1000)
        row.bare_run_ms.append(int(run_us) / 1000)
    row.bare_failures += runs - len(timed)


async def api_block(
    client: httpx.AsyncClient, language: Language, source: str, row: Row, runs: int, count: bool, pause: float = 0.0
) -> None:
    payload = {"language": language.id, "version": language.variant, "source": source}
    for _ in range(runs):
        # Think time before each submission (an editor's user reads the output before running again);
        # 0 is back to back.
        await asyncio.sleep(pause)
        start = time.perf_counter()
        try:
            response = await client.post("/v1/executions", params={"wait": "true"}, json=payload)
        except httpx.HTTPError as exc:
            row.api_failures += 1 if count else 0
            row.note(f"API: {exc!r}")
            continue
        elapsed = (time.perf_counter() - start) * 1000
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        run, compiled = body.get("run") or {}, body.get("compile") or {}
        if response.status_code != 200 or body.get("verdict") != "ok" or run.get("stdout") != HELLO:
            output = compiled.get("stderr") or compiled.get("stdout") or run.get("stderr") or run.get("stdout")
            detail = f"{body.get('message')} {output or ''}" if body else response.text
            row.api_failures += 1 if count else 0
            row.note(f"API: {response.status_code} {body.get('verdict')}: {str(detail).strip()[:300]}")
            continue
        if count:
            row.api_ms.append(elapsed)
            if compiled.get("wall_time_ms") is not None:
                row.api_compile_ms.append(compiled["wall_time_ms"])
            row.api_run_ms.append(run["wall_time_ms"])


async def measure(suite: Suite, rows: dict[str, Row], containers: Containers, args: argparse.Namespace) -> None:
    blocks = [min(args.block, args.runs - start) for start in range(0, args.runs, args.block)]
    async with httpx.AsyncClient(base_url=suite.url, timeout=180, headers=suite.headers) as client:
        for item in (await client.get("/v1/languages")).json():
            for version in item["versions"]:
                if (row := rows.get(f"{item['id']}@{version['variant']}")) is not None:
                    row.version = version["version"]
        for key, row in rows.items():
            language = BY_KEY[key]
            if row.missing:
                continue
            source = PROGRAMS[language.id].hello
            print(f"{key}: ", end="", flush=True, file=sys.stderr)
            try:
                script = prepare_bare(containers.get(row.image), language, source)
            except subprocess.CalledProcessError as exc:
                row.note(f"bare: {exc} {(exc.stderr or b'').decode(errors='replace').strip()[:300]}")
                script = None
            await api_block(client, language, source, row, args.warmup, count=False)
            if script:
                bare_block(containers.get(row.image), script, row, args.warmup, count=False)
            await asyncio.sleep(args.settle)  # the pool's housekeeping after the warm-ups, off the measurements
            for runs in blocks:
                if script:
                    bare_block(containers.get(row.image), script, row, runs, count=True)
                await api_block(client, language, source, row, runs, count=True, pause=args.pause)
                print(".", end="", flush=True, file=sys.stderr)
            print(f" API p50 {fmt(p50(row.api_ms))} ms, bare {fmt(bare_total(row))} ms", file=sys.stderr)


def bare_total(row: Row) -> float | None:
    """Bare compile p50 plus bare run p50."""
    run, compiled = p50(row.bare_run_ms), p50(row.bare_compile_ms)
    if run is None or (row.compiled and compiled is None):
        return None
    return run + (compiled or 0.0)


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


HEADER = (
    "key",
    "version",
    "ok",
    "API p50",
    "API p90",
    "API compile p50",
    "bare compile p50",
    "API run p50",
    "bare run p50",
    "× bare",
    "verdict",
)


def cells(row: Row, runs: int) -> tuple[str, ...]:
    api = p50(row.api_ms)
    bare = bare_total(row)
    target = TARGET_MS[row.compiled]
    ok = f"{len(row.api_ms)}/{runs}" + ("" if len(row.bare_run_ms) == runs else f" (bare {len(row.bare_run_ms)})")
    verdict = "error" if api is None else f"{'meets' if api <= target else 'MISSES'} ≤ {target:,.0f}"
    return (
        row.key,
        row.version or "—",
        "—" if row.missing else ok,
        fmt(api),
        fmt(percentile(row.api_ms, 90) if row.api_ms else None),
        fmt(p50(row.api_compile_ms)),
        fmt(p50(row.bare_compile_ms)),
        fmt(p50(row.api_run_ms)),
        fmt(p50(row.bare_run_ms)),
        f"{api / bare:.2f}" if api is not None and bare else "—",
        verdict,
    )


def render(rows: list[Row], runs: int, markdown: bool) -> str:
    table = [HEADER, *(cells(row, runs) for row in rows)]
    if markdown:
        lines = ["| " + " | ".join(line) + " |" for line in table]
        lines.insert(1, "|" + "---|" * len(HEADER))
    else:
        widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
        lines = [
            "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
            for line in table
        ]
    notes = [f"- {row.key}: {error}" for row in rows for error in row.errors]
    return "\n".join(lines + ([""] if notes else []) + notes)


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url", default=os.environ.get("CRH_BENCH_URL"), help="use a running suite (and CRH_BENCH_API_KEY)"
    )
    parser.add_argument("--only", help="languages or keys, comma-separated: python,java@21,cpp")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per version, API and bare each")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted runs first, API and bare each")
    parser.add_argument("--block", type=int, default=5, help="bare and API runs alternate in blocks of this many")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds of pause after a version's warm-ups")
    parser.add_argument(
        "--pause", type=float, default=0.0, help="seconds between API submissions (default: back to back)"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args()

    settings = ExecutorSettings()
    languages = select_versions(args.only)
    present: dict[str, bool] = {}
    rows: dict[str, Row] = {}
    for language in languages:
        image = f"{settings.image_prefix}{language.runtime}:{settings.image_tag}"
        if image not in present:
            present[image] = image_present(image)
        rows[language.key] = row = Row(language.key, image, language.compiled, missing=not present[image])
        if row.missing:
            row.note(f"image {image} is missing")
    pooled = next((row.key for row in rows.values() if not row.missing), None)
    signal.signal(signal.SIGTERM, _stop)
    containers = Containers()
    try:
        if pooled is None:
            print("no runtime image of these versions exists")
        else:
            # Only one pooled version up front: the default pool would wait for images that may be missing.
            env = {"CRH_EXECUTOR_POOL_LANGUAGES": "[]", "CRH_EXECUTOR_POOL_SIZES": json.dumps({pooled: 1})}
            with keyed_suite(args.url, **env) as suite:
                asyncio.run(measure(suite, rows, containers, args))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        containers.close()

    spacing = f"{args.pause:g} s apart" if args.pause else "back to back"
    print(
        f"\nmachine: {machine()}; {args.runs} runs per version (and {args.warmup} uncounted first), {spacing};"
        " times in ms"
    )
    print(render(list(rows.values()), args.runs, args.markdown))
    if args.json:
        figures: dict[str, Any] = {"machine": machine(), "runs": args.runs, "warmup": args.warmup}
        figures["versions"] = {
            key: {**asdict(row), "table": dict(zip(HEADER, cells(row, args.runs), strict=True))}
            for key, row in rows.items()
        }
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
