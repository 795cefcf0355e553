"""The hostile-program corpus (corpus.toml), run through the public API against real sandboxes.

Every execution case also checks the corpus invariants: a benign execution submitted at the same
time is correct; the next execution sees a pristine sandbox; no container, volume or host process
of the execution remains.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from shared.languages import BY_KEY, LANGUAGES
from shared.limits import default_limits
from shared.redis_keys import execution_stream
from shared.settings import GatewaySettings
from tests.conftest import EXECUTOR_ID, REDIS_URL
from tests.e2e.conftest import run, wait_for_no_leftovers
from tests.security.conftest import FRESH_EXECUTOR, FRESH_REDIS, GVISOR_EXECUTOR, GVISOR_REDIS

CORPUS: list[dict[str, Any]] = tomllib.loads((Path(__file__).parent / "corpus.toml").read_text())["case"]
EXECUTION_CASES = [case for case in CORPUS if case.get("kind", "execution") == "execution"]
# A subset also runs under gVisor in make test (their cases say so). The whole corpus, a marked
# run that takes ~15 minutes: CRH_TEST_GVISOR_CORPUS=all make test PYTEST_ARGS="-k under_gvisor".
GVISOR_CASES = [
    case
    for case in EXECUTION_CASES
    if case.get("gvisor") or (os.environ.get("CRH_TEST_GVISOR_CORPUS") == "all" and case.get("caller") != "anonymous")
]
# Every case also runs in fresh containers (one per execution), but those about the gateway's
# anonymous policy, which the sandbox mode does not touch.
FRESH_CASES = [case for case in EXECUTION_CASES if case.get("caller") != "anonymous"]
API_CASES = [case for case in CORPUS if case.get("kind") == "api"]

BENIGN = {
    "language": "python",
    "source": "import time\ntime.sleep(0.3)\nprint(sum(i * i for i in range(200000)))",
}
BENIGN_STDOUT = f"{sum(i * i for i in range(200000))}\n"
PROBE = {
    "language": "python",
    "source": """
import os, sys
problems = []
for d in ("/tmp", "/dev/shm"):
    if os.listdir(d):
        problems.append(f"{d}: {os.listdir(d)}")
if sorted(os.listdir("/work")) != ["main.py"]:
    problems.append(f"/work: {sorted(os.listdir('/work'))}")
pids = sorted(p for p in os.listdir("/proc") if p.isdigit())
if len(pids) != 2:
    problems.append(f"processes: {pids}")
for path in ("/etc/x", "/x", "/var/tmp/crh-marker", "/run/lock/crh-marker"):
    if os.path.exists(path):
        problems.append(path)
if os.path.getsize(os.path.realpath(sys.executable)) < 1_000_000:
    problems.append("the interpreter was altered")
print("pristine" if not problems else problems)
""",
}


def sandbox_uids(executor_id: str) -> set[int]:
    """Host uids of the executor's sandbox containers (each has its own)."""
    out = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            f"label=coderunhub.executor={executor_id}",
            "--format",
            '{{.Label "coderunhub.uid"}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {int(uid) for uid in out.split() if uid.isdigit()}


def host_sandbox_processes(executor_id: str = EXECUTOR_ID) -> list[str]:
    """Processes of the executor's sandbox uids on the host beyond what an idle sandbox holds: its
    agent, the cell it prepared for the next execution, and that cell's pre-started interpreter.
    Programs run as their container's own uid (a zygote-started Python program keeps the
    interpreter's command line, hence the count), so anything more is a program that survived its
    execution. (Other suites' sandboxes on this engine are theirs to check.)"""
    uids = sandbox_uids(executor_id)
    out = subprocess.run(["ps", "-e", "-ww", "-o", "uid=,args="], capture_output=True, text=True).stdout
    by_uid: dict[int, list[str]] = {}
    for line in out.splitlines():
        number, _, command = line.strip().partition(" ")
        if number.isdigit() and int(number) in uids:
            by_uid.setdefault(int(number), []).append(command.strip())
    survivors = []
    for uid, commands in by_uid.items():
        idle = {"/opt/crh/agent": 2, ZYGOTE: 1, "runc init": 1}
        for command in commands:
            zygote = command.startswith(ZYGOTE_COMMANDS)
            name = ZYGOTE if zygote else next((k for k in idle if command.startswith(k)), None)
            if name is not None and idle[name] > 0:
                idle[name] -= 1
            else:
                survivors.append(f"{uid} {command}")
    return survivors


# The pre-started interpreters and compilers (one per idle sandbox), as the catalogue starts them.
ZYGOTE = "zygote"
ZYGOTE_COMMANDS = tuple(
    {" ".join(argv) for lang in BY_KEY.values() for argv in (lang.zygote, lang.compile_zygote) if argv}
)


def wait_for_no_host_processes(executor_id: str = EXECUTOR_ID, timeout: float = 10.0) -> list[str]:
    """Processes of removed sandboxes may take a moment to be reaped."""
    deadline = time.monotonic() + timeout
    while (left := host_sandbox_processes(executor_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def check_output(case: dict[str, Any], result: dict[str, Any], raw_stdout: bytes | None = None) -> None:
    phases = [p for p in (result["compile"], result["run"]) if p]
    run_phase = result["run"] or {}
    stdout = run_phase.get("stdout") or ""
    stderr = run_phase.get("stderr") or ""
    everything = "".join((p["stdout"] or "") + (p["stderr"] or "") for p in phases) + (result["message"] or "")
    for text in case.get("stdout_contains", []):
        assert text in stdout, f"{text!r} not in stdout {stdout[:2000]!r}"
    for text in case.get("stdout_excludes", []):
        assert text not in stdout, f"{text!r} in stdout {stdout[:2000]!r}"
    for text in case.get("stderr_contains", []):
        assert text in stderr, f"{text!r} not in stderr {stderr[:2000]!r}"
    for text in case.get("output_excludes", []):
        assert text not in everything, f"{text!r} leaked into the output"
    if "stdout_regex" in case:
        assert re.search(case["stdout_regex"], stdout), stdout[:2000]
    if "message_contains" in case:
        assert case["message_contains"] in result["message"]
    if "stdout_hex" in case:
        assert raw_stdout == bytes.fromhex(case["stdout_hex"])


def anonymous_limits(language: str) -> tuple[dict[str, int], dict[str, int] | None]:
    """The run and compile limits the shipped anonymous policies give a language by default."""
    fields, lang = GatewaySettings.model_fields, LANGUAGES[language]
    run_limits = default_limits(fields["anonymous_limits"].default, lang.run_limit_defaults).model_dump()
    if not lang.compiled:
        return run_limits, None
    compile_policy = fields["anonymous_compile_limits"].default
    return run_limits, default_limits(compile_policy, lang.compile_limit_defaults).model_dump()


async def run_case(api: httpx.AsyncClient, case: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"language": case["language"], "source": case["source"]}
    for key in ("limits", "compile_limits", "stdin", "test_cases"):
        if key in case:
            payload[key] = case[key]
    if "stdin_repeat" in case:
        text, times = case["stdin_repeat"]
        payload["stdin"] = text * times
    return await run(api, payload, encoding="base64")


async def run_concurrent(api: httpx.AsyncClient, check: dict[str, Any]) -> dict[str, Any]:
    """Another tenant's execution, started while the hostile one still runs."""
    await asyncio.sleep(check.get("delay_s", 0))
    return await run(api, {"language": check["language"], "source": check["source"]})


def decoded(result: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """The result with outputs decoded to text, and the run phase's raw stdout."""
    raw = None
    for name in ("compile", "run"):
        phase = result[name]
        if phase:
            stdout, stderr = base64.b64decode(phase["stdout"]), base64.b64decode(phase["stderr"])
            if name == "run":
                raw = stdout
            phase["stdout"] = stdout.decode(errors="replace")
            phase["stderr"] = stderr.decode(errors="replace")
    return result, raw


async def check_case(
    api: httpx.AsyncClient,
    case: dict[str, Any],
    executor_id: str,
    redis_url: str = REDIS_URL,
    anonymous_api: httpx.AsyncClient | None = None,
) -> None:
    """Run one case with the corpus invariants: a concurrent benign execution, the pristine probe,
    no sandbox or process of the execution left."""
    benign = asyncio.create_task(run(api, BENIGN))
    concurrent = asyncio.create_task(run_concurrent(api, case["concurrent"])) if "concurrent" in case else None
    # caller = "anonymous": through a gateway with the shipped anonymous policies (the shared one
    # gives anonymous callers the account policies, to exercise the sandbox's full ranges).
    anonymous = case.get("caller") == "anonymous"
    client = anonymous_api if anonymous and anonymous_api is not None else api
    result, raw_stdout = decoded(await run_case(client, case))

    assert result["verdict"] in case["verdicts"], (result["verdict"], result["message"], result["run"])
    if "exceeded" in case:
        assert result["run"]["exceeded"] == case["exceeded"], result["run"]
    if "compile_verdicts" in case:
        # The record without its output, so a failure shows the figures (pytest truncates long ones).
        figures = {key: value for key, value in result["compile"].items() if key not in ("stdout", "stderr")}
        assert result["compile"]["verdict"] in case["compile_verdicts"], figures
    if "compile_exceeded" in case:
        assert result["compile"]["exceeded"] == case["compile_exceeded"], result["compile"]
    if anonymous:
        assert (result["limits"], result["compile_limits"]) == anonymous_limits(case["language"])
    check_output(case, result, raw_stdout)
    if case.get("cpu_within_quota"):
        # One CPU of quota: CPU time cannot run ahead of wall time by more than one CFS period.
        assert result["run"]["cpu_time_ms"] <= result["run"]["wall_time_ms"] + 100
    if case.get("ended_before_wall"):
        assert result["run"]["wall_time_ms"] < result["limits"]["wall_time_ms"]
    if "live_output_max_bytes" in case:
        check_redis_footprint(redis_url, result["id"], case["live_output_max_bytes"])

    benign_result = await benign
    assert benign_result["verdict"] == "ok", benign_result
    assert benign_result["run"]["stdout"] == BENIGN_STDOUT
    if concurrent is not None:
        other = await concurrent
        assert other["verdict"] == "ok", other
        check_output(case["concurrent"], other)

    if "followup" in case:
        followup = case["followup"]
        after = await run(api, {"language": followup["language"], "source": followup["source"]})
        check_output(followup, after)

    probe = await run(api, PROBE)
    assert probe["run"]["stdout"] == "pristine\n", probe["run"]
    assert wait_for_no_leftovers(executor_id) == []
    assert wait_for_no_host_processes(executor_id) == []


def check_redis_footprint(redis_url: str, execution_id: str, max_bytes: int) -> None:
    """What the execution left in Redis: its live stream's payload is within the budget, and it
    expires within the finished TTL (a minute), not the hour a running stream gets."""
    client = redis.Redis.from_url(redis_url)
    try:
        stream = execution_stream(uuid.UUID(execution_id))
        entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(stream)  # type: ignore[assignment]
        held = sum(len(fields[b"e"]) for _, fields in entries)
        ttl = int(client.ttl(stream))  # type: ignore[arg-type]
    finally:
        client.close()
    assert held <= max_bytes, f"{held} bytes of live output in Redis"
    assert 0 < ttl <= 60, ttl


@pytest.mark.parametrize("case", EXECUTION_CASES, ids=[c["id"] for c in EXECUTION_CASES])
async def test_hostile_program(api: httpx.AsyncClient, anonymous_api: httpx.AsyncClient, case: dict[str, Any]) -> None:
    await check_case(api, case, EXECUTOR_ID, anonymous_api=anonymous_api)


@pytest.mark.parametrize("case", FRESH_CASES, ids=[c["id"] for c in FRESH_CASES])
async def test_hostile_program_in_fresh_containers(fresh_api: httpx.AsyncClient, case: dict[str, Any]) -> None:
    """The same corpus with CRH_EXECUTOR_SANDBOX_MODE=fresh: a never-used container per execution."""
    await check_case(fresh_api, case, FRESH_EXECUTOR, FRESH_REDIS)


@pytest.mark.parametrize("case", GVISOR_CASES, ids=[c["id"] for c in GVISOR_CASES])
async def test_hostile_program_under_gvisor(gvisor_api: httpx.AsyncClient, case: dict[str, Any]) -> None:
    """The corpus's runtime-independent cases under gVisor (CRH_EXECUTOR_RUNTIME=runsc)."""
    expected = {**case, **case.get("gvisor_expect", {})}
    if not expected.get("exceeded"):
        expected.pop("exceeded", None)
    await check_case(gvisor_api, expected, GVISOR_EXECUTOR, GVISOR_REDIS)


@pytest.mark.usefixtures("nothing_queued")
@pytest.mark.parametrize("case", API_CASES, ids=[c["id"] for c in API_CASES])
async def test_hostile_request(api: httpx.AsyncClient, case: dict[str, Any]) -> None:
    if "pad_source_bytes" in case:
        body = b'{"language": "python", "source": "' + b"#" * case["pad_source_bytes"] + b'"}'
    elif "body_hex" in case:
        body = bytes.fromhex(case["body_hex"])
    else:
        body = case["body"].encode()
    response = await api.post("/v1/executions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == case["status"], response.text
    assert response.headers["content-type"] == "application/problem+json"
    for text in case.get("problem_contains", []):
        assert text in response.text, f"{text!r} not in {response.text}"
