"""History: my executions, newest first, with full details; filters; keyset pagination that stays
stable while executions are added; other users' executions invisible; admins' scope=all."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.history import repository as history_repo
from tests.auth_support import AuthService, bearer
from tests.product.conftest import Account, MakeAccount
from tests.product.execution_rows import Row, inserted_rows

BASE = datetime(2001, 3, 1, tzinfo=UTC)


async def run(gw: httpx.AsyncClient, account: Account, source: str) -> dict[str, Any]:
    response = await gw.post(
        "/v1/executions",
        headers=account.headers,
        params={"wait": "true"},
        json={"language": "python", "source": source},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def history(gw: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await gw.get("/v1/executions", headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cursor_of(created_at: str, execution_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, execution_id]).encode()).decode().rstrip("=")


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


async def test_my_executions_newest_first_with_full_details(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me, other = await make_account(), await make_account()
    mine = [await run(gw, me, f"print({n})") for n in range(3)]
    theirs = await run(gw, other, "print('theirs')")

    page = await history(gw, me)
    assert ids(page) == [e["id"] for e in reversed(mine)]
    assert page["next_cursor"] is None
    # Each item is the same object GET /v1/executions/{id} answers.
    single = await gw.get(f"/v1/executions/{mine[-1]['id']}", headers=me.headers)
    assert page["items"][0] == single.json()
    assert page["items"][0]["run"]["stdout"] == "2\n"

    light = await history(gw, me, details="false")
    assert ids(light) == ids(page)
    assert light["items"][0]["run"]["stdout"] is None
    assert light["items"][0]["run"]["wall_time_ms"] == page["items"][0]["run"]["wall_time_ms"]

    encoded = await history(gw, me, encoding="base64", limit=1)
    assert encoded["items"][0]["run"]["stdout"] == "Mgo="

    # Other users' executions are invisible, both ways.
    assert ids(await history(gw, other)) == [theirs["id"]]
    assert theirs["id"] not in ids(page)

    anonymous = await gw.get("/v1/executions")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_submission_shows_the_code_to_those_who_may_see_the_execution(
    gw: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    me, other = await make_account(), await make_account()
    created = await gw.post(
        "/v1/executions",
        headers=me.headers,
        params={"wait": "true"},
        json={
            "language": "python",
            "files": [
                {"name": "helper.py", "content": "X = 'hi'\n"},
                {"name": "main.py", "content": "import sys, helper\nprint(helper.X, sys.argv[1:], input())\n"},
            ],
            "entry": "main.py",
            "stdin": "typed",
            "args": ["-v"],
        },
    )
    assert created.status_code == 200, created.text
    execution_id = created.json()["id"]
    assert created.json()["run"]["stdout"] == "hi ['-v'] typed\n"

    url = f"/v1/executions/{execution_id}/submission"
    mine = await gw.get(url, headers=me.headers)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [f["name"] for f in body["files"]] == ["main.py", "helper.py"]
    assert body["files"][1]["content"] == "X = 'hi'\n"
    assert (body["stdin"], body["args"], body["language"]) == ("typed", ["-v"], "python")
    assert (await gw.get(url, headers=admin.headers)).status_code == 200
    # Someone else's submission does not exist for this caller, like the execution itself.
    hidden = await gw.get(url, headers=other.headers)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert (await gw.get(f"/v1/executions/{uuid.uuid4()}/submission", headers=me.headers)).status_code == 404


async def test_filters(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    me = await make_account()
    plan = [
        ("python", "ok"),
        ("python", "runtime_error"),
        ("cpp", "ok"),
        ("cpp", "compilation_error"),
        ("python", "ok"),
        ("go", "time_limit"),
    ]
    rows = [
        Row(
            me.id,
            language,
            verdict,
            BASE + timedelta(hours=n),
            # A compilation error has no run phase.
            wall_time_us=None if verdict == "compilation_error" else 1_000,
            memory_kb=None if verdict == "compilation_error" else 1_000,
        )
        for n, (language, verdict) in enumerate(plan)
    ]
    async with inserted_rows(sessions) as insert:
        created = [str(i) for i in await insert(rows)]
        window = {"created_after": BASE.isoformat(), "created_before": (BASE + timedelta(days=1)).isoformat()}

        def expect(keep: list[int]) -> list[str]:
            return [created[n] for n in sorted(keep, reverse=True)]

        assert ids(await history(gw, me, **window)) == expect([0, 1, 2, 3, 4, 5])
        assert ids(await history(gw, me, language="python", **window)) == expect([0, 1, 4])
        assert ids(await history(gw, me, verdict="ok", **window)) == expect([0, 2, 4])
        assert ids(await history(gw, me, language="cpp", verdict="ok", **window)) == expect([2])
        assert ids(await history(gw, me, status="finished", **window)) == expect([0, 1, 2, 3, 4, 5])
        assert ids(await history(gw, me, status="queued", **window)) == []
        # created_after is inclusive, created_before exclusive; offsets are honoured, naive times are UTC.
        hour = timedelta(hours=1)
        between = {"created_after": (BASE + 2 * hour).isoformat(), "created_before": (BASE + 4 * hour).isoformat()}
        assert ids(await history(gw, me, **between)) == expect([2, 3])
        shifted = (BASE + 2 * hour).astimezone(timezone(timedelta(hours=-5)))
        assert shifted.isoformat().endswith("-05:00")
        assert ids(await history(gw, me, **{**between, "created_after": shifted.isoformat()})) == expect([2, 3])
        naive = {"created_after": "2001-03-01T05:00:00", "created_before": "2001-03-02T00:00:00"}
        assert ids(await history(gw, me, **naive)) == expect([5])
        # A compilation error has no run phase.
        compiled = await history(gw, me, verdict="compilation_error", **window)
        assert compiled["items"][0]["run"] is None
        assert compiled["items"][0]["verdict"] == "compilation_error"


async def test_pagination_is_stable_while_executions_are_added(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    me = await make_account()
    # Rows share creation times in threes: the id orders them within an instant.
    rows = [Row(me.id, "python", "ok", BASE + timedelta(minutes=n // 3)) for n in range(23)]
    async with inserted_rows(sessions) as insert:
        created = await insert(rows)
        expected = [str(i) for _, i in sorted(zip((r.created_at for r in rows), created, strict=True), reverse=True)]
        seen: list[str] = []
        added: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = await history(gw, me, limit=4, **({"cursor": cursor} if cursor else {}))
            pages += 1
            seen += ids(page)
            cursor = page["next_cursor"]
            # Executions arrive while the client pages: one through the API, one straight in the table.
            if pages == 1:
                added.append((await run(gw, me, "print('new')"))["id"])
            if pages == 2:
                added += [str(i) for i in await insert([Row(me.id, "cpp", "ok", datetime.now(UTC))])]
            if cursor is None:
                break
        # Nothing repeated, nothing skipped, nothing shifted in.
        assert seen == expected
        assert pages == 6

        # A fresh walk sees everything, the new ones first.
        everything = await history(gw, me, limit=100)
        assert ids(everything) == [*reversed(added), *expected]


async def test_admins_see_everyones_with_scope_all(
    gw: httpx.AsyncClient, admin: Account, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = await make_account(), await make_account()
    start = BASE + timedelta(days=40)
    window = {"created_after": start.isoformat(), "created_before": (start + timedelta(days=1)).isoformat()}
    async with inserted_rows(sessions) as insert:
        a1, b1, a2, anon = (
            str(i)
            for i in await insert(
                [
                    Row(alice.id, "python", "ok", start),
                    Row(bob.id, "python", "ok", start + timedelta(hours=1)),
                    Row(alice.id, "rust", "ok", start + timedelta(hours=2)),
                    Row(None, "python", "ok", start + timedelta(hours=3)),
                ]
            )
        )
        assert ids(await history(gw, admin, scope="all", **window)) == [anon, a2, b1, a1]
        assert ids(await history(gw, admin, scope="all", user_id=alice.id, **window)) == [a2, a1]
        # An admin's own history is still theirs alone.
        assert ids(await history(gw, admin, **window)) == []

        denied = await gw.get("/v1/executions", headers=alice.headers, params={"scope": "all"})
        assert denied.status_code == 403
        assert denied.headers["content-type"] == "application/problem+json"
        # Asking for someone else by id needs scope=all (and so the admin role).
        other = await gw.get("/v1/executions", headers=alice.headers, params={"user_id": bob.id})
        assert other.status_code == 422
        assert other.json()["errors"][0]["loc"] == ["query", "user_id"]


async def test_api_keys_need_executions_read(
    auth: AuthService, gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me = await make_account()
    executed = await run(gw, me, "print('key')")

    async def key(*scopes: str) -> dict[str, str]:
        created = await auth.client.post(
            "/auth/v1/api-keys", headers=me.headers, json={"name": "history", "scopes": list(scopes)}
        )
        assert created.status_code == 201, created.text
        return bearer(created.json()["key"])

    reader, writer = await key("executions:read"), await key("executions:write")
    allowed = await gw.get("/v1/executions", headers=reader)
    assert allowed.status_code == 200
    assert ids(allowed.json()) == [executed["id"]]
    refused = await gw.get("/v1/executions", headers=writer)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/insufficient-scope")


async def test_bad_queries_are_clear_4xx(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of "[]"
        ({"cursor": "!!"}, "cursor"),
        # Well-formed, but a time that cannot be converted to UTC.
        ({"cursor": cursor_of("0001-01-01T00:00:00+05:00", str(uuid.uuid4()))}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"language": "py\x00"}, "language"),
        ({"verdict": "great"}, "verdict"),
        ({"status": "done"}, "status"),
        ({"scope": "everyone"}, "scope"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "0001-01-01T00:00:00+05:00"}, "created_after"),
        ({"user_id": "nobody"}, "user_id"),
    ]
    for params, field in cases:
        response = await gw.get("/v1/executions", headers=me.headers, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert ["query", field] in [e["loc"] for e in response.json()["errors"]], (params, response.text)


async def test_history_query_can_use_its_indexes(sessions: async_sessionmaker[AsyncSession]) -> None:
    """With sequential scans priced out, the planner must find an index for each page query."""
    # A position after every row, so only the user narrows the scan.
    position = (datetime(2100, 1, 1, tzinfo=UTC), uuid.uuid4())
    queries = {
        "ix_executions_user_created_id": history_repo.HistoryQuery(
            uuid.uuid4(), "python", None, "ok", None, None, position, 20
        ),
        "ix_executions_created_id": history_repo.HistoryQuery(None, None, None, None, None, None, position, 20),
    }
    async with sessions() as session:
        await session.execute(text("ANALYZE executions"))
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        dialect = session.get_bind().dialect
        for index, query in queries.items():
            sql = history_repo.page_stmt(query).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars().all())
            assert index in plan, plan
