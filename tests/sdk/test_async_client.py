"""AsyncClient against the served gateway and the real executor: running and waiting (also past
the server's wait), streaming, interactive sessions, history, batches, judging, languages, limits,
config, and the auth service's sign-in and API keys."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from coderunhub import (
    AsyncClient,
    AuthenticationError,
    ExecutionCreate,
    OutputEvent,
    PermissionDeniedError,
    ResultEvent,
    StatusEvent,
)

from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.product.conftest import gateway
from tests.sdk.conftest import WAIT_S, collect

CHATTY = """
import sys, time
for i in range(5):
    print(f"out {i}", flush=True)
    print(f"err {i}", file=sys.stderr, flush=True)
    time.sleep(0.1)
"""

GREETER = """
import sys
name = input()
print(f"Hello, {name}!", flush=True)
rest = sys.stdin.buffer.read()
print(f"{len(rest)} more bytes")
"""


async def test_run_waits_for_the_result(client: AsyncClient) -> None:
    result = await client.run(
        "python", "import sys\nprint(input()[::-1], sys.argv[1:])", stdin="hello\n", args=["a b", "c"]
    )
    assert result.status == "finished"
    assert result.verdict == "ok"
    assert result.run is not None
    assert result.run.stdout == "olleh ['a b', 'c']\n"
    assert result.run.exit_code == 0


async def test_run_polls_the_location_when_the_servers_wait_ends_first(auth: AuthService, api_key: str) -> None:
    statuses: list[tuple[str, int]] = []

    async def record(response: httpx.Response) -> None:
        statuses.append((response.request.method, response.status_code))

    async with (
        gateway(auth, wait_timeout_s=0.3) as short,
        httpx.AsyncClient(event_hooks={"response": [record]}) as http,
        AsyncClient(str(short.base_url), api_key=api_key, http_client=http) as sdk,
    ):
        result = await sdk.run("python", "import time\ntime.sleep(2)\nprint('slept')")
    assert result.verdict == "ok"
    assert result.run is not None
    assert result.run.stdout == "slept\n"
    # The wait ended first (202), then the execution was polled until it finished.
    assert statuses[0] == ("POST", 202)
    assert len(statuses) >= 2
    assert all(entry == ("GET", 200) for entry in statuses[1:])


async def test_stream_delivers_every_frame_in_order(client: AsyncClient) -> None:
    # submit() answers at once: queued, or running already when an executor was idle.
    execution = await client.submit("python", CHATTY)
    assert execution.status != "finished"
    events = await collect(client.stream(execution))
    result = events[-1]
    assert isinstance(result, ResultEvent)
    # Numbered from 1 without gaps, the result last (no other kinds of frame here).
    seqs = [event.seq for event in events if isinstance(event, StatusEvent | OutputEvent | ResultEvent)]
    assert seqs == list(range(1, len(events) + 1))
    assert isinstance(events[0], StatusEvent)
    first_output = next(i for i, e in enumerate(events) if isinstance(e, OutputEvent))
    assert any(isinstance(e, StatusEvent) and e.phase == "run" for e in events[:first_output])
    stdout = "".join(e.data for e in events if isinstance(e, OutputEvent) and e.type == "stdout")
    stderr = "".join(e.data for e in events if isinstance(e, OutputEvent) and e.type == "stderr")
    assert stdout == "".join(f"out {i}\n" for i in range(5))
    assert stderr == "".join(f"err {i}\n" for i in range(5))
    assert result.execution.verdict == "ok"

    # A late client (the execution finished) still gets all of it.
    replay = await collect(client.stream(execution.id))
    assert "".join(e.data for e in replay if isinstance(e, OutputEvent) and e.type == "stdout") == stdout
    assert isinstance(replay[-1], ResultEvent)


async def test_interactive_session_sends_stdin_and_reads_output(client: AsyncClient) -> None:
    output = ""
    async with client.interactive("python", GREETER) as session:
        assert session.execution.status == "queued"
        await session.send("Alice\n")
        events = session.events()
        async for event in events:
            if isinstance(event, OutputEvent):
                output += event.data
            if "Hello, Alice!" in output:
                break
        await session.send(b"\x00\x01\x02")
        await session.eof()
        async for event in events:
            if isinstance(event, OutputEvent):
                output += event.data
    assert output == "Hello, Alice!\n3 more bytes\n"
    assert session.result is not None
    assert session.result.verdict == "ok"


async def test_interactive_kill_stops_the_program(client: AsyncClient) -> None:
    async with client.interactive("python", "while True:\n    print(input(), flush=True)\n") as session:
        await session.send("ping\n")
        async for event in session.events():
            if isinstance(event, OutputEvent) and "ping" in event.data:
                break
        await session.kill()
        result = await asyncio.wait_for(session.wait(), WAIT_S)
    # Stopped on request: its own verdict (shared/executions.py), whatever it had been doing.
    assert result.verdict == "cancelled"
    assert result.message is not None


async def test_history_lists_my_executions_newest_first(client: AsyncClient) -> None:
    first = await client.run("python", "print(1)")
    second = await client.run("python", "print(2)")
    page = await client.list_executions(limit=1)
    assert [item.id for item in page.items] == [second.id]
    assert page.next_cursor
    seen = [item.id async for item in client.history(page_size=1)]
    assert seen[:2] == [second.id, first.id]
    submission = await client.get_submission(first)
    assert submission.files[0].content == "print(1)"
    fetched = await client.get_execution(first.id)
    assert fetched.run is not None
    assert fetched.run.stdout == "1\n"


async def test_batches_and_judging(client: AsyncClient) -> None:
    batch = await client.batches.run(
        [
            ExecutionCreate(language="python", source="print(input())", stdin="first"),
            ExecutionCreate(language="python", source="print(input())", stdin="second"),
        ]
    )
    assert batch.status == "finished"
    assert [e.run.stdout if e.run else None for e in batch.executions] == ["first\n", "second\n"]
    assert (await client.batches.get(batch.id)).total == 2

    judged = await client.run(
        "python",
        "print(sum(map(int, input().split())))",
        test_cases=[
            {"stdin": "2 3\n", "expected_stdout": "5\n", "name": "sample"},
            {"stdin": "1 1\n", "expected_stdout": "3\n"},
        ],
    )
    assert judged.verdict == "wrong_answer"
    assert judged.judge is not None
    assert (judged.judge.passed, judged.judge.total) == (1, 2)
    assert [t.verdict for t in judged.tests] == ["accepted", "wrong_answer"]


async def test_languages_limits_and_config(client: AsyncClient, anonymous: AsyncClient) -> None:
    languages = await client.languages()
    python = next(language for language in languages if language.id == "python")
    assert ".py" in python.extensions
    assert python.versions
    limits = await client.limits()
    assert limits.caller == "api_key"
    assert {budget.name for budget in limits.budgets} >= {"executions", "reads", "writes"}
    assert (await client.config()).caller == "account"
    assert (await anonymous.config()).caller == "anonymous"
    secret = await client.webhooks.secret()
    assert secret.secret
    assert secret.signature_header == "CodeRunHub-Signature"
    # Rotating is for signed-in sessions, not keys.
    with pytest.raises(PermissionDeniedError):
        await client.webhooks.rotate_secret()
    with pytest.raises(ValueError, match="access_token"):
        AsyncClient(client.base_url, api_key="eyJhbGciOiJFUzI1NiJ9.e30.sig")


async def test_phone_sign_in_and_api_keys(url: str, auth: AuthService, twilio: FakeTwilio) -> None:
    async with AsyncClient(url, auth_url=auth.url, api_key=None) as sdk:
        started = await sdk.auth.phone_start(fresh_phone("628"))
        signed_in = await sdk.auth.phone_verify(started.phone, twilio.codes[started.phone])
        assert signed_in.access_token
        assert (await sdk.auth.me()).id == signed_in.user.id
        # The client now uses the access token: the execution is the user's.
        mine = await sdk.run("python", "print('as a user')")
        assert [item.id for item in (await sdk.list_executions(limit=1)).items] == [mine.id]

        created = await sdk.api_keys.create("sdk test", ["executions:read", "executions:write"])
        assert created.key.startswith(f"crh_{created.prefix}_")
        assert created.id in {key.id for key in await sdk.api_keys.list()}
        async with AsyncClient(url, api_key=created.key) as keyed:
            assert (await keyed.run("python", "print('by key')")).verdict == "ok"
            await sdk.api_keys.revoke(created)
            with pytest.raises(AuthenticationError) as refused:
                await keyed.get_execution(mine.id)
            assert refused.value.status == 401


async def test_output_files_come_back(client: AsyncClient) -> None:
    writer = "import os\nos.makedirs('out')\nopen('out/result.bin', 'wb').write(bytes(range(256)))\n"
    result = await client.run("python", writer, output_files=["out/result.bin"])
    assert result.verdict == "ok"
    assert [(f.name, f.size) for f in result.files] == [("out/result.bin", 256)]
    assert await client.get_output_file(result, "out/result.bin") == bytes(range(256))
