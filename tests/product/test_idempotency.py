"""Idempotency-Key on creation: a retry gets the first response back and creates nothing; the same
key with another body is a 422; a duplicate while the first is running is a 409; failures are not
kept; keys are scoped by caller."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import Execution, Snippet
from tests.product.conftest import Account, MakeAccount

HELLO = {"language": "python", "source": "print('hi')"}
SNIPPET = {"title": "Idempotent", "language": "python", "files": [{"name": "main.py", "content": "print(1)\n"}]}


def keyed(account: Account | None, key: str) -> dict[str, str]:
    return {**(account.headers if account else {}), "Idempotency-Key": key}


async def executions_of(sessions: async_sessionmaker[AsyncSession], account: Account) -> int:
    async with sessions() as session:
        stmt = select(func.count()).select_from(Execution).where(Execution.user_id == uuid.UUID(account.id))
        return (await session.execute(stmt)).scalar_one()


async def snippets_of(sessions: async_sessionmaker[AsyncSession], account: Account) -> int:
    async with sessions() as session:
        stmt = select(func.count()).select_from(Snippet).where(Snippet.owner_id == uuid.UUID(account.id))
        return (await session.execute(stmt)).scalar_one()


async def test_an_execution_retried_with_its_key_is_created_once(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_account()
    key = str(uuid.uuid4())
    first = await gw.post("/v1/executions", headers=keyed(user, key), json=HELLO)
    assert first.status_code == 202, first.text
    assert "idempotent-replayed" not in first.headers
    # The same body, spelled differently (key order, whitespace), is the same request.
    retry = await gw.post(
        "/v1/executions",
        headers={**keyed(user, key), "Content-Type": "application/json"},
        content=b'{ "source": "print(\'hi\')",\n  "language": "python" }',
    )
    assert retry.status_code == 202
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["location"] == first.headers["location"] == f"/v1/executions/{first.json()['id']}"
    assert await executions_of(sessions, user) == 1

    # Another body under the same key is refused; nothing is created.
    reuse = await gw.post("/v1/executions", headers=keyed(user, key), json={**HELLO, "stdin": "x"})
    assert reuse.status_code == 422
    assert reuse.headers["content-type"] == "application/problem+json"
    assert reuse.json()["type"].endswith("/idempotency-key-reuse")
    other_query = await gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=HELLO)
    assert other_query.status_code == 422
    assert other_query.json()["type"].endswith("/idempotency-key-reuse")
    # A new key is a new execution; no key, too.
    other = await gw.post("/v1/executions", headers=keyed(user, str(uuid.uuid4())), json=HELLO)
    assert other.json()["id"] != first.json()["id"]
    await gw.post("/v1/executions", headers=user.headers, json=HELLO)
    assert await executions_of(sessions, user) == 3


async def test_a_waited_result_is_replayed_as_it_was(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_account()
    key = f"wait-{uuid.uuid4()}"
    body = {"language": "python", "source": "print(input()[::-1])", "stdin": "stressed"}
    first = await gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=body)
    assert first.status_code == 200, first.text
    assert first.json()["run"]["stdout"] == "desserts\n"
    retry = await gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=body)
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert await executions_of(sessions, user) == 1


async def test_a_duplicate_while_the_first_runs_is_a_409(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_account()
    key = str(uuid.uuid4())
    slow = {"language": "python", "source": "import time\ntime.sleep(1.5)\nprint('slow')"}
    first = asyncio.create_task(gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=slow))
    await asyncio.sleep(0.5)
    duplicate = await gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=slow)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["type"].endswith("/idempotency-key-in-use")
    assert duplicate.headers["retry-after"] == "1"
    finished = await first
    assert finished.status_code == 200
    assert finished.json()["run"]["stdout"] == "slow\n"
    replay = await gw.post("/v1/executions", headers=keyed(user, key), params={"wait": "true"}, json=slow)
    assert replay.json()["id"] == finished.json()["id"]
    assert await executions_of(sessions, user) == 1


async def test_failures_are_not_kept_so_the_client_can_retry(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_account()
    key = str(uuid.uuid4())
    failed = await gw.post("/v1/executions", headers=keyed(user, key), json={"language": "nope", "source": "x"})
    assert failed.status_code == 422
    assert failed.json()["type"].endswith("/validation-error")
    # Had the failure been kept, this would be an idempotency-key-reuse 422.
    fixed = await gw.post("/v1/executions", headers=keyed(user, key), json=HELLO)
    assert fixed.status_code == 202, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert await executions_of(sessions, user) == 1

    snippet_key = str(uuid.uuid4())
    refused = await gw.post("/v1/snippets", headers=keyed(user, snippet_key), json={**SNIPPET, "language": "nope"})
    assert refused.status_code == 422
    created = await gw.post("/v1/snippets", headers=keyed(user, snippet_key), json=SNIPPET)
    assert created.status_code == 201
    assert await snippets_of(sessions, user) == 1


async def test_a_snippet_retried_with_its_key_is_saved_once(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_account()
    key = str(uuid.uuid4())
    first = await gw.post("/v1/snippets", headers=keyed(user, key), json=SNIPPET)
    assert first.status_code == 201, first.text
    retry = await gw.post("/v1/snippets", headers=keyed(user, key), json=SNIPPET)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["location"] == f"/v1/snippets/{first.json()['id']}"
    assert retry.headers["etag"] == first.headers["etag"] == '"1"'
    assert retry.json() == first.json()
    assert await snippets_of(sessions, user) == 1

    reuse = await gw.post("/v1/snippets", headers=keyed(user, key), json={**SNIPPET, "title": "Other"})
    assert reuse.status_code == 422
    assert reuse.json()["type"].endswith("/idempotency-key-reuse")
    assert await snippets_of(sessions, user) == 1

    # Concurrent retries of one request: one saves, the others wait their turn (409) or replay.
    burst_key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(gw.post("/v1/snippets", headers=keyed(user, burst_key), json=SNIPPET) for _ in range(8))
    )
    assert {a.status_code for a in answers} <= {201, 409}
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    assert await snippets_of(sessions, user) == 2


async def test_keys_are_scoped_by_caller_and_route(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = await make_account(), await make_account()
    key = "shared-key-" + uuid.uuid4().hex
    by_alice = await gw.post("/v1/executions", headers=keyed(alice, key), json=HELLO)
    by_bob = await gw.post("/v1/executions", headers=keyed(bob, key), json=HELLO)
    assert by_alice.status_code == by_bob.status_code == 202
    assert by_alice.json()["id"] != by_bob.json()["id"]
    assert "idempotent-replayed" not in by_bob.headers
    # Bob cannot read Alice's execution through a replay, and the same key on another route is unrelated.
    snippet = await gw.post("/v1/snippets", headers=keyed(alice, key), json=SNIPPET)
    assert snippet.status_code == 201
    assert await executions_of(sessions, alice) == 1
    assert await executions_of(sessions, bob) == 1

    # Anonymous callers are scoped by address.
    anonymous_key = str(uuid.uuid4())
    one = await gw.post("/v1/executions", headers=keyed(None, anonymous_key), json=HELLO)
    two = await gw.post("/v1/executions", headers=keyed(None, anonymous_key), json=HELLO)
    assert one.status_code == 202
    assert two.headers["idempotent-replayed"] == "true"
    assert two.json()["id"] == one.json()["id"]


async def test_stored_responses_expire_and_keys_are_validated(
    gw: httpx.AsyncClient, make_account: MakeAccount, redis_client: redis.Redis
) -> None:
    user = await make_account()
    key = str(uuid.uuid4())
    await gw.post("/v1/executions", headers=keyed(user, key), json=HELLO)
    stored: list[Any] = [name for name in redis_client.scan_iter(match=f"crh:idem:user:{user.id}:*")]
    assert len(stored) == 1
    ttl = redis_client.ttl(stored[0])
    assert isinstance(ttl, int)
    assert 86_000 < ttl <= 86_400
    # The client's key is not stored in the clear.
    assert key.encode() not in stored[0]

    for bad in ("x" * 256, "tab\tinside", "ünïcode"):
        headers = [(name.encode(), value.encode()) for name, value in user.headers.items()]
        response = await gw.post("/v1/executions", headers=[*headers, (b"Idempotency-Key", bad.encode())], json=HELLO)
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
