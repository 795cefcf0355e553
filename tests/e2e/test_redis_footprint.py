"""What executions leave in Redis: each execution's live output is capped by a budget (all phases
and judged cases together), an account's executions together by a ledger, and a finished
execution's Stream expires within a minute; WebSocket clients that come after that get the
result from PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from redis.asyncio import Redis as AsyncRedis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.executor.events import ENTRY_OVERHEAD, RESERVE_BLOCK, EventPublisher, MemoryBrake, StreamPolicy
from shared.events import Event, EventType
from shared.redis_keys import execution_stream, execution_stream_end, live_output_ledger
from shared.settings import ExecutorSettings
from tests.conftest import REDIS_URL
from tests.e2e.conftest import run

# The session's executor runs with the defaults.
# No read of a WebSocket waits longer than this: a stuck stream fails the test, never hangs it.
STREAM_S = 60
EXECUTOR = ExecutorSettings()
ANONYMOUS_BUDGET = EXECUTOR.anonymous_stream_output_budget_bytes
FINISHED_TTL_S = EXECUTOR.stream_finished_ttl_s

# Each case writes 1 MiB to stdout and 1 MiB to stderr: 40 MiB over 20 cases (issue 12 found 50 MiB
# of such output kept for an hour, from one anonymous request).
FLOOD = "import sys\nsys.stdout.buffer.write(b'o' * (1 << 20))\nsys.stderr.buffer.write(b'e' * (1 << 20))\n"


@pytest_asyncio.fixture
async def aredis() -> AsyncIterator[AsyncRedis]:
    client = AsyncRedis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def stream_events(client: redis.Redis, execution_id: str) -> list[tuple[Event, int]]:
    """Every event in the execution's Stream, with the size of its payload."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(execution_stream(execution_id))  # type: ignore[assignment]
    return [(Event.decode(fields[b"e"]), len(fields[b"e"])) for _, fields in entries]


def ws_url(api: httpx.AsyncClient, path: str) -> str:
    return str(api.base_url.copy_with(scheme="ws", path=path))


async def frames_of(url: str) -> tuple[list[dict[str, Any]], int | None]:
    frames: list[dict[str, Any]] = []
    async with connect(url) as ws, asyncio.timeout(STREAM_S):
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                frames.append(json.loads(message))
        return frames, ws.close_code


async def test_a_judged_flood_leaves_at_most_the_budget_in_redis_for_a_minute(
    api: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    cases = [{"stdin": "", "expected_stdout": "o"}] * 20
    payload = {"language": "python", "source": FLOOD, "test_cases": cases, "limits": {"output_bytes": 2 << 20}}
    result = await run(api, payload)
    execution_id = result["id"]

    # The result is whole: every case ran, was judged on its whole output, and kept its share.
    assert result["judge"] == {"verdict": "wrong_answer", "passed": 0, "total": 20, "compare": "exact"}
    assert [test["index"] for test in result["tests"]] == list(range(20))
    for test in result["tests"]:
        assert test["verdict"] == "wrong_answer"
        assert test["exit_code"] == 0
        assert test["stdout"] == "o" * EXECUTOR.judge_output_bytes
        assert test["stdout_truncated"]
        assert test["stderr_truncated"]

    events = stream_events(redis_client, execution_id)
    output = sum(size + ENTRY_OVERHEAD for event, size in events if event.type in (EventType.stdout, EventType.stderr))
    everything = sum(size for _, size in events)
    markers = [event for event, _ in events if event.type is EventType.live_output_limit]
    assert output <= ANONYMOUS_BUDGET
    # Statuses, verdicts and the final event: a few bytes per case on top.
    assert everything <= ANONYMOUS_BUDGET + 64 * 1024
    assert len(markers) == 1
    assert b"budget" in markers[0].data
    memory: int = redis_client.memory_usage(execution_stream(execution_id))  # type: ignore[assignment]
    assert memory <= ANONYMOUS_BUDGET * 1.25
    print(f"\n20 x 2 MiB judged: {len(events)} entries, {everything} payload bytes, MEMORY USAGE {memory}")
    # Finished: the Stream goes within a minute; the end marker stays (a few bytes) for rebuilds.
    assert 0 < redis_client.ttl(execution_stream(execution_id)) <= FINISHED_TTL_S  # type: ignore[operator]
    assert int(redis_client.get(execution_stream_end(execution_id))) == events[-1][0].seq  # type: ignore[arg-type]

    # A WebSocket client sees the cut in order, then the result.
    frames, code = await frames_of(ws_url(api, f"/v1/executions/{execution_id}/stream"))
    assert code == 1000
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    [marker] = [f for f in frames if f["type"] == "live_output_limit"]
    assert "budget" in marker["message"]
    assert marker["phase"] == "run"
    assert "test" in marker
    assert frames[-1]["type"] == "result"
    assert frames[-1]["execution"]["judge"]["total"] == 20


SLOW = "import time\nprint('first', flush=True)\ntime.sleep(1.5)\nprint('second', flush=True)"


async def test_a_client_connecting_after_the_stream_expired_gets_the_finished_result(
    api: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    result = await run(api, {"language": "python", "source": SLOW})
    execution_id = result["id"]
    live = stream_events(redis_client, execution_id)
    # What expiry does a minute later, now.
    redis_client.delete(execution_stream(execution_id))

    frames, code = await frames_of(ws_url(api, f"/v1/executions/{execution_id}/stream"))
    assert code == 1000
    assert "".join(f["data"] for f in frames if f["type"] == "stdout") == "first\nsecond\n"
    assert frames[-1]["type"] == "result"
    assert frames[-1]["execution"]["verdict"] == "ok"
    assert frames[-1]["execution"]["run"]["exit_code"] == 0
    # Numbered after the live events, so a client holding those takes none for a duplicate.
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(frames)))
    assert seqs[0] == live[-1][0].seq + 1


async def test_a_client_reconnecting_after_the_stream_expired_gets_the_result(
    api: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    created = (await api.post("/v1/executions", json={"language": "python", "source": SLOW})).json()
    url = created["links"]["stream"]
    seen: list[dict[str, Any]] = []
    async with connect(url) as ws:
        while not seen or seen[-1]["type"] != "stdout":
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), STREAM_S)))
    # Gone mid-way; the execution finishes, and its Stream expires before the client is back.
    async with asyncio.timeout(30):
        while (await api.get(f"/v1/executions/{created['id']}")).json()["status"] != "finished":
            await asyncio.sleep(0.1)
    redis_client.delete(execution_stream(created["id"]))

    frames, code = await frames_of(url)
    assert code == 1000
    # What a client does with a replay (docs/api.md): drop frames whose seq it already has.
    last_seen = seen[-1]["seq"]
    fresh = [f for f in frames if f["seq"] > last_seen]
    assert fresh == frames, "every rebuilt frame is numbered after the live ones"
    assert fresh[-1]["type"] == "result"
    assert fresh[-1]["execution"]["verdict"] == "ok"


def policy(**overrides: Any) -> StreamPolicy:
    values: dict[str, Any] = {"ttl_s": 600, "finished_ttl_s": 30, "budget_bytes": 10_000, **overrides}
    return StreamPolicy(**values)


def published(client: redis.Redis, execution_id: uuid.UUID) -> list[Event]:
    return [event for event, _ in stream_events(client, str(execution_id))]


async def test_the_budget_covers_every_phase_and_case_and_the_inline_record(
    aredis: AsyncRedis, redis_client: redis.Redis
) -> None:
    eid = uuid.uuid4()
    events = await EventPublisher.open(aredis, eid, policy())
    events.status("running")
    events.output("compile", "stderr", b"w" * 3_000)
    for case in range(5):
        events.status("running", "run", case)
        events.output("run", "stdout", b"x" * 1_500, case)
        await asyncio.sleep(0.01)
        events.test_result(case, "accepted")
    await events.finish("accepted", b"{" + b" " * 5_000 + b"}")

    sent = published(redis_client, eid)
    assert [e.seq for e in sent] == list(range(1, len(sent) + 1))
    assert sum(len(e.encode()) + ENTRY_OVERHEAD for e in sent if e.type is not EventType.test) <= 10_000 + 400
    [marker] = [e for e in sent if e.type is EventType.live_output_limit]
    cut_at = sent.index(marker)
    # Nothing of the output after the marker; statuses and verdicts still go out.
    assert all(e.type not in (EventType.stdout, EventType.stderr) for e in sent[cut_at:])
    assert [e.test for e in sent if e.type is EventType.test] == list(range(5))
    # The record no longer fits: the final event goes without it (readers load it from PostgreSQL).
    assert sent[-1].is_final
    assert sent[-1].data == b""
    assert 0 < redis_client.ttl(execution_stream(eid)) <= 30  # type: ignore[operator]
    assert int(redis_client.get(execution_stream_end(eid))) == sent[-1].seq  # type: ignore[arg-type]


async def test_an_accounts_executions_share_one_live_output_cap(aredis: AsyncRedis, redis_client: redis.Redis) -> None:
    owner = f"user:{uuid.uuid4()}"
    shared = policy(budget_bytes=1 << 20, owner=owner, caller_budget_bytes=RESERVE_BLOCK + 50_000, finished_ttl_s=1)
    first_id, second_id, third_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = await EventPublisher.open(aredis, first_id, shared)
    second = await EventPublisher.open(aredis, second_id, shared)
    for _chunk in range(8):
        first.output("run", "stdout", b"a" * 20_000)
        second.output("run", "stdout", b"b" * 20_000)
        await asyncio.sleep(0.01)
    await first.finish("ok")
    await second.finish("ok")

    def output_of(execution_id: uuid.UUID) -> int:
        return sum(len(e.data) for e in published(redis_client, execution_id) if e.type is EventType.stdout)

    # The first took a whole block (and used 160 KB of it); the second got what was left of the cap.
    assert output_of(first_id) == 160_000
    assert output_of(second_id) < 50_000
    assert any(e.type is EventType.live_output_limit for e in published(redis_client, second_id))
    held: list[bytes] = redis_client.hvals(live_output_ledger(owner))  # type: ignore[assignment]
    assert sum(int(v) for v in held) <= RESERVE_BLOCK + 50_000

    # Once their Streams have expired (finished_ttl_s), their shares are free again.
    await asyncio.sleep(1.2)
    third = await EventPublisher.open(aredis, third_id, shared)
    third.output("run", "stdout", b"c" * 100_000)
    await third.finish("ok")
    assert output_of(third_id) == 100_000


class FakeInfo:
    def __init__(self, used: int, maxmemory: int) -> None:
        self.used, self.maxmemory, self.calls = used, maxmemory, 0

    async def info(self, section: str) -> dict[str, int]:
        self.calls += 1
        return {"used_memory": self.used, "maxmemory": self.maxmemory}


@pytest.mark.parametrize(
    ("used", "maxmemory", "ceiling", "engaged"),
    [(800, 1000, 0.75, True), (700, 1000, 0.75, False), (10**12, 0, 0.75, False), (800, 1000, 0.0, False)],
)
async def test_the_memory_brake_follows_redis_maxmemory(
    used: int, maxmemory: int, ceiling: float, engaged: bool
) -> None:
    fake = FakeInfo(used, maxmemory)
    brake = MemoryBrake()
    assert await brake.engaged(fake, ceiling) is engaged  # type: ignore[arg-type]
    # Asked at most once a second, however many publishers flush.
    assert await brake.engaged(fake, ceiling) is engaged  # type: ignore[arg-type]
    assert fake.calls == (1 if ceiling else 0)
