"""Rate limits and quotas against real Redis, PostgreSQL and the session's executor: 429s with
Retry-After and RateLimit headers, separate budgets per kind of request and per API key / user /
address, /v1/limits, the in-flight cap that keeps one user's flood from starving others, and the
bounded queue's 503."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from shared.redis_keys import EXECUTION_QUEUE
from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService, bearer
from tests.product.conftest import Account, MakeAccount, executions_count, gateway

# No WebSocket read waits longer than this: a stuck stream fails the test, never hangs it.
WS_S = 60

QUICK = {"language": "python", "source": "print('quick')"}
PROBLEM = "application/problem+json"
ROOMY = RateLimitPolicy(executions="1000/minute", reads="1000/minute", writes="1000/minute", max_in_flight=1000)

pytestmark = pytest.mark.usefixtures("fresh_limits")


def sleeper(seconds: float) -> dict[str, Any]:
    return {"language": "python", "source": f"import time\ntime.sleep({seconds})\nprint('slept')"}


async def api_key(auth: AuthService, account: Account, *scopes: str) -> dict[str, str]:
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=account.headers, json={"name": "limits", "scopes": list(scopes)}
    )
    assert created.status_code == 201, created.text
    return bearer(created.json()["key"])


async def wait_finished(
    client: httpx.AsyncClient, execution_id: str, headers: dict[str, str], timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = (await client.get(f"/v1/executions/{execution_id}", headers=headers)).json()
        if body["status"] == "finished":
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"execution {execution_id} did not finish")


def due(redis_client: redis.Redis) -> int:
    """Jobs due on the execution queue (webhook retries scheduled for later are not)."""
    return int(redis_client.zcount(EXECUTION_QUEUE, "-inf", int(time.time() * 1000)))  # type: ignore[arg-type]


async def queue_drained(redis_client: redis.Redis, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while due(redis_client):
        assert time.monotonic() < deadline, "the execution queue did not drain"
        await asyncio.sleep(0.2)


def assert_rate_headers(response: httpx.Response, budget: str, limit: int, remaining: int) -> int:
    """The IETF RateLimit headers (both drafts' forms) agree; returns the reset in seconds."""
    headers = response.headers
    assert headers["RateLimit-Policy"] == f'"{budget}";q={limit};w=60'
    assert headers["RateLimit-Limit"] == str(limit)
    assert headers["RateLimit-Remaining"] == str(remaining)
    reset = int(headers["RateLimit-Reset"])
    assert 0 <= reset <= 60
    assert headers["RateLimit"] == f'"{budget}";r={remaining};t={reset}'
    return reset


async def test_exhausted_creation_budget_is_a_429_with_headers_and_reads_still_work(
    auth: AuthService, executor: object, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tiny = RateLimitPolicy(executions="2/minute", reads="50/minute", writes="50/minute", max_in_flight=100)
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        first = await client.post("/v1/executions", json=QUICK)
        assert first.status_code == 202, first.text
        assert_rate_headers(first, "executions", 2, 1)
        second = await client.post("/v1/executions", json=QUICK)
        assert second.status_code == 202
        assert_rate_headers(second, "executions", 2, 0)

        before = await executions_count(sessions)
        refused = await client.post("/v1/executions", json=QUICK)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM
        problem = refused.json()
        assert problem["type"].endswith("/too-many-requests")
        assert problem["status"] == 429
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        assert_rate_headers(refused, "executions", 2, 0)
        # Refused before anything was persisted.
        assert await executions_count(sessions) == before

        # Reads have their own budget: the exhausted creation budget does not touch them.
        read = await client.get(f"/v1/executions/{first.json()['id']}")
        assert read.status_code == 200
        assert_rate_headers(read, "reads", 50, 49)
        # Other mutations have a third one (an invalid request still counts against it).
        other = await client.post("/v1/webhooks/secret/rotate")
        assert other.headers["RateLimit-Policy"] == '"writes";q=50;w=60'

        # Health probes are not rate limited.
        assert "RateLimit-Policy" not in (await client.get("/healthz")).headers


async def test_reads_are_limited_too(auth: AuthService) -> None:
    tiny = RateLimitPolicy(executions="5/minute", reads="3/minute", writes="5/minute")
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        statuses = [(await client.get("/v1/languages")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await client.get("/v1/languages")
        assert refused.headers["RateLimit-Policy"] == '"reads";q=3;w=60'
        assert int(refused.headers["Retry-After"]) >= 1


async def test_budgets_are_kept_per_api_key_per_user_and_per_address(
    auth: AuthService, executor: object, make_account: MakeAccount
) -> None:
    users = RateLimitPolicy(executions="2/minute", reads="100/minute", writes="100/minute", max_in_flight=100)
    anonymous = RateLimitPolicy(executions="1/minute", reads="100/minute", writes="100/minute", max_in_flight=100)
    alice, bob = await make_account(), await make_account()
    alice_key = await api_key(auth, alice, "executions:write", "executions:read", "account:read")
    async with gateway(auth, user_rate_limits=users, anonymous_rate_limits=anonymous) as client:

        async def statuses(headers: dict[str, str], n: int) -> list[int]:
            return [(await client.post("/v1/executions", json=QUICK, headers=headers)).status_code for _ in range(n)]

        assert await statuses(alice.headers, 3) == [202, 202, 429]
        # Alice's API key has its own budget, and so does Bob, and so do anonymous callers.
        assert await statuses(alice_key, 3) == [202, 202, 429]
        assert await statuses(bob.headers, 1) == [202]
        assert await statuses({}, 2) == [202, 429]
        # Anonymous budgets are stricter (the anonymous policy applies).
        limits = (await client.get("/v1/limits")).json()
        assert limits["caller"] == "anonymous"
        assert {b["name"]: b["limit"] for b in limits["budgets"]}["executions"] == 1

        # Bad credentials are not a way around the limits: they are refused, and counted to the address.
        forged = await client.post("/v1/executions", json=QUICK, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 429


async def test_limits_endpoint_reports_budgets_in_flight_and_queue(
    auth: AuthService, executor: object, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    users = RateLimitPolicy(executions="5/minute", reads="30/minute", writes="10/minute", max_in_flight=3)
    account = await make_account()
    await queue_drained(redis_client)
    async with gateway(auth, user_rate_limits=users, max_queued=777) as client:
        created = await client.post("/v1/executions", json=sleeper(3), headers=account.headers)
        assert created.status_code == 202
        await client.get(f"/v1/executions/{created.json()['id']}", headers=account.headers)

        response = await client.get("/v1/limits", headers=account.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["enabled"] is True
        assert body["caller"] == "user"
        budgets = {b["name"]: b for b in body["budgets"]}
        assert set(budgets) == {"executions", "reads", "writes", "analyses"}
        assert budgets["analyses"]["policy"] == "240/minute"
        assert budgets["executions"] | {"reset_after_s": 0} == {
            "name": "executions",
            "policy": "5/minute",
            "limit": 5,
            "window_s": 60,
            "remaining": 4,
            "reset_after_s": 0,
        }
        assert 0 < budgets["executions"]["reset_after_s"] <= 60
        # Two reads so far: the GET of the execution, and this request itself.
        assert budgets["reads"]["remaining"] == 28
        assert budgets["writes"]["remaining"] == 10
        assert body["in_flight"] == {"current": 1, "limit": 3, "scope": "user"}
        assert body["queue"]["limit"] == 777
        assert body["queue"]["depth"] >= 1
        assert_rate_headers(response, "reads", 30, 28)

        # Once it finished, its slot is free again.
        await wait_finished(client, created.json()["id"], account.headers)
        after = (await client.get("/v1/limits", headers=account.headers)).json()
        assert after["in_flight"]["current"] == 0

        # An API key: its own budgets, the same in-flight count as its user, and it needs account:read.
        key = await api_key(auth, account, "executions:write", "account:read")
        keyed = (await client.get("/v1/limits", headers=key)).json()
        assert keyed["caller"] == "api_key"
        assert {b["name"]: b["remaining"] for b in keyed["budgets"]}["executions"] == 5
        no_scope = await api_key(auth, account, "executions:read")
        assert (await client.get("/v1/limits", headers=no_scope)).status_code == 403


async def test_one_users_flood_does_not_starve_another(
    auth: AuthService, executor: object, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    users = RateLimitPolicy(executions="1000/minute", reads="1000/minute", writes="1000/minute", max_in_flight=2)
    flooder, other = await make_account(), await make_account()
    await queue_drained(redis_client)
    async with gateway(auth, user_rate_limits=users) as client:
        flood = await asyncio.gather(
            *(client.post("/v1/executions", json=sleeper(4), headers=flooder.headers) for _ in range(30))
        )
        accepted = [r for r in flood if r.status_code == 202]
        refused = [r for r in flood if r.status_code != 202]
        # Exactly the cap got in, atomically, however the requests interleaved.
        assert len(accepted) == 2
        assert {r.status_code for r in refused} == {429}
        assert all(r.json()["type"].endswith("/too-many-in-flight") for r in refused)
        assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)

        # The other user's execution is queued behind at most the flooder's two, not behind thirty.
        started = time.monotonic()
        mine = await client.post("/v1/executions?wait=true", json=QUICK, headers=other.headers)
        elapsed = time.monotonic() - started
        assert mine.status_code == 200, mine.text
        assert mine.json()["run"]["stdout"] == "quick\n"
        # 30 sleeps of 4 s on a 2-slot executor would take 60 s; the cap bounds the wait to about one.
        assert elapsed < 15, elapsed

        # When the flooder's executions finish, their slots are free again.
        for response in accepted:
            await wait_finished(client, response.json()["id"], flooder.headers)
        again = await client.post("/v1/executions", json=QUICK, headers=flooder.headers)
        assert again.status_code == 202


async def test_a_full_queue_answers_503_and_persists_nothing(
    auth: AuthService, executor: object, redis_client: redis.Redis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await queue_drained(redis_client)
    async with gateway(auth, anonymous_rate_limits=ROOMY, max_queued=2, queue_full_retry_after_s=7) as client:
        running = [await client.post("/v1/executions", json=sleeper(4)) for _ in range(2)]
        assert [r.status_code for r in running] == [202, 202]
        # Queued and running jobs stay on arq's queue until they finish: it holds two now.
        assert due(redis_client) == 2

        before = await executions_count(sessions)
        full = await client.post("/v1/executions", json=QUICK)
        assert full.status_code == 503
        assert full.headers["content-type"] == PROBLEM
        assert full.json()["type"].endswith("/queue-full")
        assert full.headers["Retry-After"] == "7"
        batch = await client.post("/v1/batches", json={"executions": [QUICK]})
        assert batch.status_code == 503
        assert await executions_count(sessions) == before
        assert due(redis_client) == 2

        for response in running:
            await wait_finished(client, response.json()["id"], {})
        await queue_drained(redis_client)
        assert (await client.post("/v1/executions", json=QUICK)).status_code == 202


async def test_snippet_runs_count_as_executions(auth: AuthService, executor: object, make_account: MakeAccount) -> None:
    users = RateLimitPolicy(executions="1/minute", reads="100/minute", writes="100/minute", max_in_flight=10)
    account = await make_account()
    async with gateway(auth, user_rate_limits=users) as client:
        snippet = await client.post(
            "/v1/snippets",
            headers=account.headers,
            json={"title": "limited", "language": "python", "files": [{"name": "main.py", "content": "print(1)\n"}]},
        )
        assert snippet.status_code == 201, snippet.text
        assert snippet.headers["RateLimit-Policy"] == '"writes";q=100;w=60'
        run = f"/v1/snippets/{snippet.json()['id']}/run"
        first = await client.post(run, headers=account.headers)
        assert first.status_code == 202, first.text
        assert_rate_headers(first, "executions", 1, 0)
        assert (await client.post(run, headers=account.headers)).status_code == 429
        assert (await client.post("/v1/executions", json=QUICK, headers=account.headers)).status_code == 429
        # Routes that create executions are admitted by their declaration, never also charged as
        # writes: only the snippet's creation took from that budget.
        limits = (await client.get("/v1/limits", headers=account.headers)).json()
        writes = next(budget for budget in limits["budgets"] if budget["name"] == "writes")
        assert writes["remaining"] == 99


async def test_openapi_documents_the_headers(gw: httpx.AsyncClient) -> None:
    document = (await gw.get("/openapi.json")).json()
    create = document["paths"]["/v1/executions"]["post"]["responses"]
    for header in ("RateLimit", "RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert header in create["202"]["headers"]
        assert header in create["429"]["headers"]
    assert "Retry-After" in create["429"]["headers"]
    assert "Retry-After" in create["503"]["headers"]
    assert "/v1/limits" in document["paths"]
    assert "LimitsOut" in document["components"]["schemas"]


async def test_websockets_pass_through_the_rate_limit_dependency_untouched(auth: AuthService, executor: object) -> None:
    tiny = RateLimitPolicy(executions="5/minute", reads="1/minute", writes="5/minute")
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        created = (await client.post("/v1/executions", json=QUICK)).json()
        frames = []
        # Not charged as reads (the budget of one would be gone after the first frame otherwise).
        for _ in range(2):
            async with connect(created["links"]["stream"]) as ws, asyncio.timeout(WS_S):
                with contextlib.suppress(ConnectionClosed):
                    frames = [json.loads(message) async for message in ws]
                assert ws.close_code == 1000
        assert frames[-1]["type"] == "result"
        # A bad token still gets the WebSocket close code, not a refused handshake.
        async with (
            connect(created["links"]["stream"], additional_headers={"Authorization": "Bearer nope"}) as ws,
            asyncio.timeout(WS_S),
        ):
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4401


async def test_interactive_starts_spend_the_execution_budget(auth: AuthService, executor: object) -> None:
    tiny = RateLimitPolicy(executions="1/minute", reads="100/minute", writes="100/minute", max_in_flight=10)
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        base = str(client.base_url.copy_with(scheme="ws"))
        start = {"type": "start", "language": "python", "source": "print('hi ' + input())"}
        async with connect(f"{base}/v1/executions/interactive") as ws, asyncio.timeout(WS_S):
            await ws.send(json.dumps(start))
            created = json.loads(await ws.recv())
            assert created["type"] == "created"
            await ws.send(json.dumps({"type": "stdin", "data": "there\n"}))
            await ws.send(json.dumps({"type": "eof"}))
            with contextlib.suppress(ConnectionClosed):
                frames = [json.loads(message) async for message in ws]
            assert frames[-1]["execution"]["run"]["verdict"] == "ok"
        # The budget of one is spent: neither another interactive start nor a POST gets through.
        async with connect(f"{base}/v1/executions/interactive") as ws, asyncio.timeout(WS_S):
            await ws.send(json.dumps(start))
            refused = json.loads(await ws.recv())
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4429
        assert refused["type"] == "error"
        assert refused["problem"]["status"] == 429
        assert (await client.post("/v1/executions", json=QUICK)).status_code == 429
