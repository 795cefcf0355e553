"""Batches with the session's real executor: several executions submitted together, validated all
first (one bad item creates nothing), bounded in size, read back together, owner-only, charged per
item against the rate limits and the in-flight cap, and idempotent."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import Execution
from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService
from tests.product.conftest import Account, MakeAccount, executions_count, gateway

pytestmark = pytest.mark.usefixtures("fresh_limits")


def echo(text: str) -> dict[str, Any]:
    return {"language": "python", "source": "print(input().upper())", "stdin": f"{text}\n"}


async def test_a_batch_runs_every_execution_and_answers_them_together(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account()
    words = ["alpha", "beta", "gamma", "delta"]
    response = await gw.post(
        "/v1/batches?wait=true", headers=account.headers, json={"executions": [echo(w) for w in words]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "finished"
    assert (body["finished"], body["total"]) == (4, 4)
    # In submission order, each with its own result.
    assert [e["run"]["stdout"] for e in body["executions"]] == [f"{w.upper()}\n" for w in words]
    assert all(e["verdict"] == "ok" for e in body["executions"])
    assert response.headers["Location"] == f"/v1/batches/{body['id']}"

    again = await gw.get(f"/v1/batches/{body['id']}", headers=account.headers)
    assert again.status_code == 200
    assert [e["id"] for e in again.json()["executions"]] == [e["id"] for e in body["executions"]]
    # Each execution is an ordinary one too.
    single = await gw.get(f"/v1/executions/{body['executions'][2]['id']}", headers=account.headers)
    assert single.json()["run"]["stdout"] == "GAMMA\n"


async def test_without_wait_the_batch_is_accepted_and_can_be_polled(gw: httpx.AsyncClient) -> None:
    response = await gw.post("/v1/batches", json={"executions": [echo("one"), echo("two")]})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] in ("queued", "running", "finished")
    assert body["total"] == 2
    deadline = time.monotonic() + 90
    while True:
        polled = (await gw.get(f"/v1/batches/{body['id']}")).json()
        if polled["status"] == "finished":
            break
        assert time.monotonic() < deadline, polled
        await asyncio.sleep(0.2)
    assert [e["run"]["stdout"] for e in polled["executions"]] == ["ONE\n", "TWO\n"]


async def test_one_invalid_item_is_a_422_naming_it_and_nothing_is_created(
    gw: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await executions_count(sessions)
    items = [
        echo("fine"),
        {"language": "cobol-2099", "source": "x"},
        {"language": "python", "source": "print(1)", "limits": {"cpu_time_ms": 10**9}},
        echo("also fine"),
    ]
    response = await gw.post("/v1/batches", json={"executions": items})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {tuple(e["loc"][:3]) for e in errors} == {("body", "executions", 1), ("body", "executions", 2)}
    assert ["body", "executions", 1, "language"] in [e["loc"] for e in errors]
    assert ["body", "executions", 2, "limits", "cpu_time_ms"] in [e["loc"] for e in errors]

    # Schema-level errors name the item too.
    shapeless = await gw.post("/v1/batches", json={"executions": [echo("ok"), {"source": "print(1)"}]})
    assert shapeless.status_code == 422
    assert ["body", "executions", 1, "language"] in [e["loc"] for e in shapeless.json()["errors"]]
    empty = await gw.post("/v1/batches", json={"executions": []})
    assert empty.status_code == 422
    assert await executions_count(sessions) == before


async def test_a_batch_has_a_configured_maximum_size(
    auth: AuthService, executor: object, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with gateway(auth, batch_max_size=3) as client:
        before = await executions_count(sessions)
        too_many = await client.post("/v1/batches", json={"executions": [echo(str(i)) for i in range(4)]})
        assert too_many.status_code == 422
        (error,) = too_many.json()["errors"]
        assert error["loc"] == ["body", "executions"]
        assert "at most 3" in error["msg"]
        assert await executions_count(sessions) == before
        at_most = await client.post("/v1/batches?wait=true", json={"executions": [echo(str(i)) for i in range(3)]})
        assert at_most.status_code == 200, at_most.text
        assert [e["run"]["stdout"] for e in at_most.json()["executions"]] == ["0\n", "1\n", "2\n"]


async def test_batches_are_visible_like_their_executions(
    gw: httpx.AsyncClient, make_account: MakeAccount, admin: Account
) -> None:
    owner, stranger = await make_account(), await make_account()
    mine = (await gw.post("/v1/batches", headers=owner.headers, json={"executions": [echo("x")]})).json()
    assert (await gw.get(f"/v1/batches/{mine['id']}", headers=owner.headers)).status_code == 200
    assert (await gw.get(f"/v1/batches/{mine['id']}", headers=admin.headers)).status_code == 200
    hidden = await gw.get(f"/v1/batches/{mine['id']}", headers=stranger.headers)
    assert hidden.status_code == 404
    assert hidden.json()["type"].endswith("/not-found")
    assert (await gw.get(f"/v1/batches/{mine['id']}")).status_code == 404
    # Anonymous batches are readable by whoever has the id; unknown ids are 404s.
    anonymous = (await gw.post("/v1/batches", json={"executions": [echo("y")]})).json()
    assert (await gw.get(f"/v1/batches/{anonymous['id']}", headers=stranger.headers)).status_code == 200
    assert (await gw.get(f"/v1/batches/{uuid.uuid4()}")).status_code == 404


async def test_each_item_counts_against_the_rate_limit_and_in_flight_cap(
    auth: AuthService,
    executor: object,
    make_account: MakeAccount,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = RateLimitPolicy(executions="3/minute", reads="100/minute", writes="100/minute", max_in_flight=100)
    account = await make_account()
    async with gateway(auth, user_rate_limits=users) as client:
        two = await client.post("/v1/batches", headers=account.headers, json={"executions": [echo("a"), echo("b")]})
        assert two.status_code == 202
        assert two.headers["RateLimit-Policy"] == '"executions";q=3;w=60'
        assert two.headers["RateLimit-Remaining"] == "1"
        before = await executions_count(sessions)
        over = await client.post("/v1/batches", headers=account.headers, json={"executions": [echo("c"), echo("d")]})
        assert over.status_code == 429
        assert int(over.headers["Retry-After"]) >= 1
        assert await executions_count(sessions) == before
        never = await client.post("/v1/batches", headers=account.headers, json={"executions": [echo("e")] * 4})
        assert never.status_code == 429
        assert "split it" in never.json()["detail"]
        assert (await client.post("/v1/executions", headers=account.headers, json=echo("f"))).status_code == 202

    capped = RateLimitPolicy(executions="100/minute", reads="100/minute", writes="100/minute", max_in_flight=2)
    other = await make_account()
    async with gateway(auth, user_rate_limits=capped) as client:
        before = await executions_count(sessions)
        response = await client.post("/v1/batches", headers=other.headers, json={"executions": [echo("g")] * 3})
        assert response.status_code == 429
        assert response.json()["type"].endswith("/too-many-in-flight")
        assert await executions_count(sessions) == before
        fits = await client.post("/v1/batches?wait=true", headers=other.headers, json={"executions": [echo("h")] * 2})
        assert fits.status_code == 200
        # Finished: the slots are free for the next batch.
        again = await client.post("/v1/batches", headers=other.headers, json={"executions": [echo("i")] * 2})
        assert again.status_code == 202


async def test_a_batch_retried_with_its_idempotency_key_is_created_once(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_account()
    headers = {**account.headers, "Idempotency-Key": str(uuid.uuid4())}
    payload = {"executions": [echo("once"), echo("only")]}
    first = await gw.post("/v1/batches", headers=headers, json=payload)
    retry = await gw.post("/v1/batches", headers=headers, json=payload)
    assert first.status_code == retry.status_code == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    async with sessions() as session:
        stmt = select(func.count()).select_from(Execution).where(Execution.user_id == uuid.UUID(account.id))
        assert (await session.execute(stmt)).scalar_one() == 2
