"""@coderunhub/client, built (`make ts-sdk`) and run by Node against served gateways and the real
executor: each test runs one scenario of clients/typescript/test/check.mjs and checks what it saw."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService
from tests.product.conftest import gateway
from tests.sdk_ts.conftest import ROOT, SDK, node

CHECK = SDK / "test" / "check.mjs"
UNKNOWN_ID = "01a21870-0000-7000-8000-000000000000"
PROBLEMS = "https://coderunhub.dev/problems/"


async def scenario(name: str, url: str, key: str) -> dict[str, Any]:
    return await node(CHECK, name, env={"CRH_BASE_URL": url, "CRH_API_KEY": key})


def base(client: httpx.AsyncClient) -> str:
    return str(client.base_url).rstrip("/")


def test_committed_types_match_the_current_openapi_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    exported = subprocess.run(
        [sys.executable, "-m", "services.gateway.openapi"], cwd=ROOT, capture_output=True, check=True
    )
    document.write_bytes(exported.stdout)
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [SDK / "node_modules/.bin/openapi-typescript", document, "-o", generated, "--default-non-nullable", "false"],
        cwd=SDK,
        capture_output=True,
        check=True,
        timeout=120,
    )
    committed = (SDK / "src/schema.d.ts").read_text()
    assert generated.read_text() == committed, "clients/typescript/src/schema.d.ts is stale: run `make ts-sdk-types`"


async def test_run_waits_for_the_result(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("run", base(gw), api_key)
    assert seen == {
        "status": "finished",
        "verdict": "ok",
        "stdout": "olleh\n",
        "files": "two files\n",
        "again": "ok",
        "submitted": ["main.py", "helper.py"],
    }


async def test_run_polls_the_location_when_the_servers_wait_runs_out(auth: AuthService, api_key: str) -> None:
    async with gateway(auth, wait_timeout_s=1) as short:
        seen = await scenario("run-past-wait", base(short), api_key)
    assert (seen["status"], seen["verdict"], seen["stdout"]) == ("finished", "ok", "late\n")
    # The 202 after a second, then GETs of the execution until it finished.
    requests = seen["requests"]
    assert requests[0] == "POST /v1/executions"
    assert len(requests) >= 2
    assert all(re.fullmatch(r"GET /v1/executions/[0-9a-f-]{36}", request) for request in requests[1:]), requests


async def test_stream_frames_arrive_in_seq_order_and_end_with_the_result(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("stream", base(gw), api_key)
    for stream in (seen["live"], seen["replay"]):
        seqs = stream["seqs"]
        assert seqs == sorted(set(seqs)), seqs
        assert stream["types"][-1] == "result"
        assert stream["types"].count("result") == 1
        assert stream["verdict"] == "ok"
    assert seen["live"]["types"][0] == "status"
    assert seen["live"]["stdout"] == "line 0\nline 1\nline 2\n"
    # Opened with a stream ticket after the execution finished: the frames rebuilt for replay.
    assert seen["replay"]["stdout"] == "replayed\n"
    # A stream of an unknown execution closes with 4404: a NotFoundError.
    assert seen["unknown"]["name"] == "NotFoundError"
    assert seen["unknown"]["status"] == 404


async def test_interactive_session_sends_input_and_reads_output(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("interactive", base(gw), api_key)
    assert seen["created"] == "queued"
    assert seen["stdout"] == "name? hello there\nbytes!\n"
    assert seen["last"] == "result"
    assert seen["verdict"] == "ok"
    assert seen["runStdout"] == "name? hello there\nbytes!\n"
    assert seen["killed"] == "cancelled"
    assert seen["killedMessage"] == "Cancelled on request"


async def test_cancel_stops_a_running_execution_and_refuses_a_finished_one(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("cancel", base(gw), api_key)
    assert seen["answered"] in ("finished", "running")
    assert seen["verdict"] == "cancelled"
    assert seen["message"] == "Cancelled on request"
    assert seen["again"]["name"] == "ConflictError"
    assert seen["again"]["kind"] == "conflict"
    assert seen["again"]["status"] == 409
    assert seen["again"]["type"] == PROBLEMS + "execution-finished"
    assert seen["isConflict"] is True


async def test_snippets_round_trip(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("snippets", base(gw), api_key)
    assert seen["title"] == "Reverse"
    assert seen["revisions"] == [1, 2]
    assert (seen["stale"]["name"], seen["stale"]["status"]) == ("ConflictError", 409)
    assert seen["listed"] is True
    assert seen["ran"] == "SHOUT\n"
    assert seen["first"] == "cba\n"
    assert re.fullmatch(re.escape(base(gw)) + r"/v1/snippets/shared/\S+", seen["link"]), seen["link"]
    assert seen["shared"] == ["print(input().upper())\n"]
    # Unlisted: anonymous callers read it through its link only.
    assert (seen["hidden"]["name"], seen["hidden"]["status"]) == ("NotFoundError", 404)
    assert seen["fork"]["visibility"] == "private"
    assert seen["fork"]["forkedFrom"] is not None
    assert seen["history"] == [1, 2]
    assert seen["gone"] is True


async def test_problems_are_typed_errors(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("problems", base(gw), api_key)
    invalid = seen["invalid"]
    assert (invalid["name"], invalid["kind"], invalid["status"]) == ("ValidationError", "validation", 422)
    assert invalid["type"] == PROBLEMS + "validation-error"
    assert invalid["errors"][0]["loc"] == ["body", "limits", "cpu_time_ms"]
    assert seen["typed"] == {"validation": True, "problem": True, "errorClass": True}
    assert (seen["missing"]["name"], seen["missing"]["status"]) == ("NotFoundError", 404)
    assert seen["missing"]["slug"] == "not-found"
    assert (seen["badKey"]["name"], seen["badKey"]["kind"]) == ("AuthenticationError", "authentication")


async def test_history_pages_through_every_execution(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("history", base(gw), api_key)
    # Newest first, all three, two per page: a second page through next_cursor.
    assert seen["listed"] == list(reversed(seen["ran"]))
    assert len(seen["requests"]) == 2
    assert "cursor=" not in seen["requests"][0]
    assert "limit=2" in seen["requests"][0]
    assert "cursor=" in seen["requests"][1]
    assert seen["filtered"] == []


async def test_a_429_is_retried_after_its_retry_after(auth: AuthService, api_key: str) -> None:
    async with gateway(auth, user_rate_limits=RateLimitPolicy(max_in_flight=1)) as capped:
        seen = await scenario("retry", base(capped), api_key)
    refused = seen["refused"]
    assert (refused["name"], refused["status"], refused["slug"]) == ("RateLimitError", 429, "too-many-in-flight")
    assert refused["retryAfter"] == 2
    assert seen["isRateLimit"] is True
    # The patient client waited (as Retry-After said) until the first execution finished.
    assert seen["retries"], seen
    assert all(retry == {"status": 429, "slug": "too-many-in-flight", "waitS": 2} for retry in seen["retries"])
    assert (seen["verdict"], seen["stdout"]) == ("ok", "after the wait\n")
    assert seen["first"] == "finished"


async def test_catalogue_batches_and_tickets(gw: httpx.AsyncClient, api_key: str) -> None:
    seen = await scenario("catalogue", base(gw), api_key)
    assert "python" in seen["languages"]
    assert {"caller", "classes", "sizes"} <= set(seen["configKeys"])
    assert "budgets" in seen["limitsKeys"]
    assert seen["batch"] == {"status": "finished", "total": 2, "stdout": ["a\n", "b\n"]}
    assert seen["reread"] == ["ok", "ok"]
    invalid = seen["invalidBatch"]
    assert (invalid["name"], invalid["status"]) == ("ValidationError", 422)
    assert invalid["errors"][0]["loc"][:3] == ["body", "executions", 1]
    assert seen["ticket"] == "crht_"


def test_the_published_declarations_compile_for_a_node_consumer() -> None:
    # test/usage.ts uses the SDK as a Node program would (with `ws`), against dist/*.d.ts.
    done = subprocess.run(
        [SDK / "node_modules/.bin/tsc", "-p", "test/tsconfig.json"],
        cwd=SDK,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
