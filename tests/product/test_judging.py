"""Judging: test cases per execution, run by the real executor in real sandboxes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.executor.judging import difference, matches
from shared.db.models import ExecutionTestResult
from shared.executions import CompareMode
from tests.product.conftest import Account, MakeAccount

# No WebSocket read waits longer than this: a stuck stream fails the test, never hangs it.
WS_S = 60

ADDER = """
import sys
a, b = map(int, sys.stdin.read().split())
if a < 0:
    while True:
        pass
if a == 0:
    print('zero is not allowed', file=sys.stderr)
    sys.exit(3)
print(a + b)
"""

C_ADDER = """
#include <stdio.h>
int main(void) {
    long a, b;
    if (scanf("%ld %ld", &a, &b) != 2) return 2;
    printf("%ld\\n", a + b);
    return 0;
}
"""


def case(stdin: str, expected: str, name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"stdin": stdin, "expected_stdout": expected}
    if name is not None:
        body["name"] = name
    return body


async def judged(gw: httpx.AsyncClient, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    response = await gw.post("/v1/executions", params={"wait": "true"}, json=payload, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "finished"
    return body


def ws_url(gw: httpx.AsyncClient, path: str) -> str:
    return str(gw.base_url.copy_with(scheme="ws", path=path))


async def test_all_cases_pass_and_the_result_is_stored(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, stranger = await make_account(), await make_account()
    cases = [case("1 2\n", "3\n", "small"), case("40 2", "42\n"), case("1000000 2000000\n", "3000000\n", "large")]
    result = await judged(gw, owner, {"language": "python", "source": ADDER, "test_cases": cases})

    assert result["verdict"] == "accepted"
    assert result["message"] == "Accepted: all 3 tests passed"
    assert result["judge"] == {"verdict": "accepted", "passed": 3, "total": 3, "compare": "exact"}
    # Each case ran on its own; there is no single run phase.
    assert result["run"] is None
    assert [t["index"] for t in result["tests"]] == [0, 1, 2]
    assert [t["name"] for t in result["tests"]] == ["small", None, "large"]
    assert [t["stdout"] for t in result["tests"]] == ["3\n", "42\n", "3000000\n"]
    for test in result["tests"]:
        assert test["verdict"] == "accepted"
        assert test["exit_code"] == 0
        assert test["stderr"] == ""
        assert test["wall_time_ms"] > 0
        assert test["cpu_time_ms"] is not None
        assert test["memory_kb"] > 0
        assert test["started_at"] is not None

    # Read back from PostgreSQL: the same results, one row per case; others cannot see it.
    fetched = await gw.get(f"/v1/executions/{result['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json()["tests"] == result["tests"]
    assert fetched.json()["judge"] == result["judge"]
    async with sessions() as session:
        rows = await session.execute(
            select(func.count()).where(ExecutionTestResult.execution_id == uuid.UUID(result["id"]))
        )
        assert rows.scalar_one() == 3
    hidden = await gw.get(f"/v1/executions/{result['id']}", headers=stranger.headers)
    assert hidden.status_code == 404


async def test_a_wrong_answer_fails_the_execution_with_details(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account()
    cases = [case("1 1", "2\n"), case("2 2", "5\n", "bad expectation"), case("3 3", "6\n")]
    result = await judged(gw, account, {"language": "python", "source": ADDER, "test_cases": cases})

    assert result["verdict"] == "wrong_answer"
    assert result["judge"] == {"verdict": "wrong_answer", "passed": 2, "total": 3, "compare": "exact"}
    assert result["message"] == (
        "Test 2 of 3 (bad expectation) failed: Wrong answer: line 1 differs from the expected output"
    )
    first, wrong, last = result["tests"]
    assert first["verdict"] == "accepted"
    assert wrong["verdict"] == "wrong_answer"
    assert wrong["stdout"] == "4\n"
    assert wrong["exit_code"] == 0
    assert wrong["message"] == "Wrong answer: line 1 differs from the expected output"
    # Cases after a failure still run.
    assert last["verdict"] == "accepted"
    assert last["stdout"] == "6\n"


async def test_whitespace_mode_ignores_trailing_whitespace_that_exact_mode_rejects(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account()
    source = "import sys\nfor word in sys.stdin.read().split():\n    print(word, ' \\t')\nprint()\nprint()"
    cases = [case("a b", "a\nb\n"), case("x", "x")]
    exact = await judged(gw, account, {"language": "python", "source": source, "test_cases": cases})
    assert exact["verdict"] == "wrong_answer"
    assert exact["judge"] == {"verdict": "wrong_answer", "passed": 0, "total": 2, "compare": "exact"}
    assert exact["tests"][0]["stdout"] == "a  \t\nb  \t\n\n\n"

    tolerant = await judged(
        gw, account, {"language": "python", "source": source, "test_cases": cases, "compare": "whitespace"}
    )
    assert tolerant["verdict"] == "accepted"
    assert tolerant["judge"] == {"verdict": "accepted", "passed": 2, "total": 2, "compare": "whitespace"}

    # Whitespace inside a line still counts.
    inner = await judged(
        gw,
        account,
        {"language": "python", "source": "print('a  b')", "test_cases": [case("", "a b\n")], "compare": "whitespace"},
    )
    assert inner["verdict"] == "wrong_answer"


async def test_a_failing_run_gives_its_case_the_runtime_verdict(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account()
    cases = [case("1 2", "3\n"), case("-1 1", "0\n", "loops"), case("0 1", "1\n", "exits")]
    payload = {"language": "python", "source": ADDER, "test_cases": cases, "limits": {"cpu_time_ms": 500}}
    result = await judged(gw, account, payload)

    accepted, looping, exiting = result["tests"]
    assert accepted["verdict"] == "accepted"
    assert looping["verdict"] == "time_limit"
    assert looping["exceeded"] == "cpu_time"
    assert looping["cpu_time_ms"] >= 500
    assert exiting["verdict"] == "runtime_error"
    assert exiting["exit_code"] == 3
    assert exiting["stderr"] == "zero is not allowed\n"
    # The summary is the first failing case's verdict.
    assert result["verdict"] == "time_limit"
    assert result["judge"] == {"verdict": "time_limit", "passed": 1, "total": 3, "compare": "exact"}
    assert result["message"] == "Test 2 of 3 (loops) failed: CPU time limit of 0.5 s exceeded"


async def test_stored_output_is_capped_but_compared_whole(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    long_line = "x" * 100_000
    payload = {
        "language": "python",
        "source": "print('x' * int(input()))",
        "test_cases": [case("100000", long_line + "\n"), case("100000", long_line + "y\n")],
    }
    result = await judged(gw, account, payload)
    whole, different = result["tests"]
    # The comparison saw all 100,001 bytes; the executor kept its judge_output_bytes (64 KiB) of them.
    assert whole["verdict"] == "accepted"
    assert different["verdict"] == "wrong_answer"
    for test in result["tests"]:
        assert test["stdout"] == "x" * (64 << 10)
        assert test["stdout_truncated"] is True
        assert test["stderr_truncated"] is False


async def test_a_compiled_program_is_compiled_once_and_judged_case_by_case(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account()
    cases = [case("1 2", "3\n"), case("20 22", "42\n"), case("5 5", "11\n", "off by one")]
    created = await gw.post(
        "/v1/executions", json={"language": "c", "source": C_ADDER, "test_cases": cases}, headers=account.headers
    )
    assert created.status_code == 202, created.text
    url = created.json()["links"]["stream"]
    frames: list[dict[str, Any]] = []
    async with connect(url, additional_headers=account.headers) as ws, asyncio.timeout(WS_S):
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
        assert ws.close_code == 1000

    starts = [(f.get("phase"), f.get("test")) for f in frames if f["type"] == "status" and f["status"] == "running"]
    # One compilation, then one run per case, in order.
    assert starts == [(None, None), ("compile", None), ("run", 0), ("run", 1), ("run", 2)]
    verdicts = [(f["test"], f["verdict"]) for f in frames if f["type"] == "test"]
    assert verdicts == [(0, "accepted"), (1, "accepted"), (2, "wrong_answer")]
    outputs = {f["test"]: f["data"] for f in frames if f["type"] == "stdout" and f["phase"] == "run"}
    assert outputs == {0: "3\n", 1: "42\n", 2: "10\n"}
    final = frames[-1]
    assert final["type"] == "result"
    execution = final["execution"]
    assert execution["compile"]["verdict"] == "ok"
    assert execution["verdict"] == "wrong_answer"
    assert execution["judge"] == {"verdict": "wrong_answer", "passed": 2, "total": 3, "compare": "exact"}
    assert [t["verdict"] for t in execution["tests"]] == ["accepted", "accepted", "wrong_answer"]

    # The whole result, outputs included, over REST.
    fetched = (await gw.get(f"/v1/executions/{execution['id']}", headers=account.headers)).json()
    assert [t["stdout"] for t in fetched["tests"]] == ["3\n", "42\n", "10\n"]
    assert fetched["tests"][2]["name"] == "off by one"


async def test_a_compilation_error_judges_no_case(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    payload = {"language": "c", "source": "int main(void) { return nope; }", "test_cases": [case("", "")] * 2}
    result = await judged(gw, account, payload)
    assert result["verdict"] == "compilation_error"
    assert result["judge"] == {"verdict": "compilation_error", "passed": 0, "total": 2, "compare": "exact"}
    assert result["tests"] == []
    assert "nope" in result["compile"]["stderr"]


async def test_without_test_cases_nothing_changes(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    result = await judged(gw, account, {"language": "python", "source": "print(input())", "stdin": "hi"})
    assert result["verdict"] == "ok"
    assert result["run"]["stdout"] == "hi\n"
    assert result["tests"] == []
    assert result["judge"] is None


def _locs(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in response.json()["errors"]]


async def test_invalid_test_cases_are_refused(
    gw: httpx.AsyncClient, make_account: MakeAccount, nothing_queued: None
) -> None:
    account = await make_account()

    async def submit(**fields: Any) -> httpx.Response:
        body = {"language": "python", "source": "print(1)", **fields}
        return await gw.post("/v1/executions", json=body, headers=account.headers)

    assert _locs(await submit(test_cases=[case("", "1\n")] * 51)) == [["body", "test_cases"]]
    big = "x" * ((256 << 10) + 1)
    assert _locs(await submit(test_cases=[case("", big)])) == [["body", "test_cases", 0, "expected_stdout"]]
    assert _locs(await submit(test_cases=[case("", "1\n"), case(big, "1\n")])) == [["body", "test_cases", 1, "stdin"]]
    # Each case within bounds, together too much.
    near = "y" * (250 << 10)
    assert _locs(await submit(test_cases=[case(near, near)] * 3)) == [["body", "test_cases"]]
    # 50 cases at the highest wall time could hold an executor for 25 minutes.
    slow = await submit(test_cases=[case("", "1\n")] * 50, limits={"wall_time_ms": 30_000})
    assert _locs(slow) == [["body", "test_cases"]]
    assert "wall time" in slow.json()["errors"][0]["msg"]
    assert _locs(await submit(test_cases=[])) == [["body", "test_cases"]]
    assert _locs(await submit(test_cases=[case("1", "1\n")], stdin="1")) == [["body", "stdin"]]
    assert _locs(await submit(test_cases=[case("", "a\x00b")])) == [["body", "test_cases", 0, "expected_stdout"]]
    assert _locs(await submit(test_cases=[case("", "1\n", "n" * 101)])) == [["body", "test_cases", 0, "name"]]
    assert _locs(await submit(test_cases=[case("", "1\n")], compare="fuzzy")) == [["body", "compare"]]
    assert _locs(await submit(test_cases=[{"stdin": "1"}])) == [["body", "test_cases", 0, "expected_stdout"]]


async def test_interactive_executions_cannot_be_judged(gw: httpx.AsyncClient, nothing_queued: None) -> None:
    start = {"type": "start", "language": "python", "source": "print(input())", "test_cases": [case("a", "a\n")]}
    async with connect(ws_url(gw, "/v1/executions/interactive")) as ws, asyncio.timeout(WS_S):
        await ws.send(json.dumps(start))
        error = json.loads(await ws.recv())
        assert error["type"] == "error"
        assert error["problem"]["status"] == 422
        assert error["problem"]["errors"][0]["loc"] == ["body", "test_cases"]
        with contextlib.suppress(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4400


@pytest.mark.parametrize(
    ("actual", "expected", "mode", "equal"),
    [
        (b"1 2\n", b"1 2\n", CompareMode.exact, True),
        (b"1 2", b"1 2\n", CompareMode.exact, False),
        (b"1 2 \n", b"1 2\n", CompareMode.exact, False),
        (b"1 2", b"1 2\n", CompareMode.whitespace, True),
        (b"1 2 \t\r\n\n\n", b"1 2\n", CompareMode.whitespace, True),
        (b"a\r\nb\r\n", b"a\nb\n", CompareMode.whitespace, True),
        (b"1  2\n", b"1 2\n", CompareMode.whitespace, False),
        (b" 1 2\n", b"1 2\n", CompareMode.whitespace, False),
        (b"\n1 2\n", b"1 2\n", CompareMode.whitespace, False),
        (b"", b"\n\n", CompareMode.whitespace, True),
    ],
)
def test_comparison_modes(actual: bytes, expected: bytes, mode: CompareMode, equal: bool) -> None:
    assert matches(actual, expected, mode) is equal


def test_wrong_answer_messages_point_at_the_difference() -> None:
    assert (
        difference(b"1\n2\n", b"1\n3\n", CompareMode.exact) == "Wrong answer: line 2 differs from the expected output"
    )
    assert difference(b"1\n", b"1\n2\n", CompareMode.exact) == "Wrong answer: the output has 1 lines, 2 were expected"
    assert difference(b"1\n2\n3", b"1\n", CompareMode.whitespace) == (
        "Wrong answer: the output has 3 lines, only 1 were expected"
    )
