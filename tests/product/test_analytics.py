"""Analytics: the numbers PostgreSQL computes equal what we compute from the rows we created
(straight in the table, and through the API with the real executor); global views are admins'."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.analytics import repository as analytics_repo
from tests.auth_support import AuthService, bearer
from tests.product.conftest import Account, MakeAccount
from tests.product.execution_rows import Row, inserted_rows

START = datetime(2011, 6, 1, tzinfo=UTC)
WINDOW = {"since": START.isoformat(), "until": (START + timedelta(days=3)).isoformat()}
VIEWS = ("languages", "timeline", "verdicts", "run-stats")


async def view(gw: httpx.AsyncClient, account: Account, name: str, **params: Any) -> dict[str, Any]:
    response = await gw.get(f"/v1/analytics/{name}", headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def percentile_cont(values: list[float], q: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks (null for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def rows_for(user_id: str, offset: int = 0) -> list[Row]:
    """A deterministic mix: languages, verdicts, times over three days, run times and memory."""
    languages = ["python", "python", "cpp", "python", "go", "cpp", "python"]
    verdicts = ["ok", "ok", "runtime_error", "time_limit", "ok", "compilation_error", "wrong_answer"]
    rows = []
    for n in range(21):
        verdict = verdicts[n % len(verdicts)]
        rows.append(
            Row(
                user_id,
                languages[n % len(languages)],
                verdict,
                START + timedelta(hours=3 * n + offset, minutes=n),
                wall_time_us=None if verdict == "compilation_error" else 1_000 * (n * 7 % 13 + 1) + n,
                memory_kb=None if verdict == "compilation_error" else 4_000 + 512 * (n * 5 % 11),
            )
        )
    return rows


def expected_run_stats(rows: list[Row]) -> list[dict[str, Any]]:
    by_language: dict[str, list[Row]] = {}
    for row in rows:
        # A row has a run phase when it has any measurement (see execution_rows).
        if row.wall_time_us is not None or row.memory_kb is not None:
            by_language.setdefault(row.language, []).append(row)
    stats = []
    for language, runs in by_language.items():
        walls = [r.wall_time_us / 1000 for r in runs if r.wall_time_us is not None]
        memory = [float(r.memory_kb) for r in runs if r.memory_kb is not None]
        stats.append(
            {
                "language": language,
                "runs": len(runs),
                "wall_time_ms": {"p50": percentile_cont(walls, 0.5), "p95": percentile_cont(walls, 0.95)},
                "memory_kb": {"p50": percentile_cont(memory, 0.5), "p95": percentile_cont(memory, 0.95)},
            }
        )
    return sorted(stats, key=lambda s: (-s["runs"], s["language"]))


def assert_run_stats(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [(s["language"], s["runs"]) for s in actual] == [(s["language"], s["runs"]) for s in expected]
    for got, want in zip(actual, expected, strict=True):
        for measure in ("wall_time_ms", "memory_kb"):
            for q in ("p50", "p95"):
                if want[measure][q] is None:
                    assert got[measure][q] is None, (got, want)
                else:
                    assert abs(got[measure][q] - want[measure][q]) < 0.001, (got, want)


async def test_my_analytics_equal_the_rows(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    me, other = await make_account(), await make_account()
    mine = rows_for(me.id)
    async with inserted_rows(sessions) as insert:
        await insert(mine)
        # Someone else's rows in the same window count for nobody but them.
        await insert(rows_for(other.id, offset=1))

        languages = await view(gw, me, "languages", **WINDOW)
        counts = Counter(r.language for r in mine)
        assert languages["items"] == [
            {"language": lang, "count": n} for lang, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
        ]
        assert languages["total"] == len(mine) == 21
        assert languages["scope"] == "mine"
        assert datetime.fromisoformat(languages["since"]) == START

        verdicts = await view(gw, me, "verdicts", **WINDOW)
        verdict_counts = Counter(r.verdict for r in mine)
        assert verdicts["items"] == [
            {"verdict": v, "count": n} for v, n in sorted(verdict_counts.items(), key=lambda i: (-i[1], i[0]))
        ]
        assert (verdicts["finished"], verdicts["unfinished"]) == (21, 0)

        daily = await view(gw, me, "timeline", bucket="day", **WINDOW)
        per_day = Counter(r.created_at.date() for r in mine)
        assert [(datetime.fromisoformat(p["start"]), p["count"]) for p in daily["items"]] == [
            (START + timedelta(days=d), per_day[(START + timedelta(days=d)).date()]) for d in range(3)
        ]
        assert daily["total"] == 21

        hourly = await view(gw, me, "timeline", bucket="hour", **WINDOW)
        assert len(hourly["items"]) == 72
        per_hour = Counter(r.created_at.replace(minute=0) for r in mine)
        assert {datetime.fromisoformat(p["start"]): p["count"] for p in hourly["items"] if p["count"]} == per_hour
        # Empty buckets are listed as zeros.
        assert sum(1 for p in hourly["items"] if p["count"] == 0) == 72 - len(per_hour)

        run_stats = await view(gw, me, "run-stats", **WINDOW)
        assert_run_stats(run_stats["items"], expected_run_stats(mine))

        # A window that is not aligned to buckets starts at the bucket holding `since`.
        partial = await view(
            gw, me, "timeline", bucket="day", since=(START + timedelta(hours=30)).isoformat(), until=WINDOW["until"]
        )
        assert [datetime.fromisoformat(p["start"]) for p in partial["items"]] == [
            START + timedelta(days=1),
            START + timedelta(days=2),
        ]
        assert partial["total"] == sum(1 for r in mine if r.created_at >= START + timedelta(hours=30))


async def test_global_analytics_are_for_admins(
    gw: httpx.AsyncClient, admin: Account, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = await make_account(), await make_account()
    rows = [
        *rows_for(alice.id),
        *rows_for(bob.id, offset=2),
        Row(None, "lua", "internal_error", START + timedelta(hours=7), wall_time_us=None),
    ]
    async with inserted_rows(sessions) as insert:
        await insert(rows)
        languages = await view(gw, admin, "languages", scope="global", **WINDOW)
        assert languages["scope"] == "global"
        assert {i["language"]: i["count"] for i in languages["items"]} == Counter(r.language for r in rows)
        verdicts = await view(gw, admin, "verdicts", scope="global", **WINDOW)
        assert {i["verdict"]: i["count"] for i in verdicts["items"]} == Counter(r.verdict for r in rows)
        run_stats = await view(gw, admin, "run-stats", scope="global", **WINDOW)
        assert_run_stats(run_stats["items"], expected_run_stats(rows))
        timeline = await view(gw, admin, "timeline", scope="global", **WINDOW)
        assert timeline["total"] == len(rows) == 43
        # The admin's own view holds only the admin's executions.
        assert (await view(gw, admin, "languages", **WINDOW))["items"] == []

        for name in VIEWS:
            denied = await gw.get(f"/v1/analytics/{name}", headers=alice.headers, params={"scope": "global", **WINDOW})
            assert denied.status_code == 403, name
            assert denied.headers["content-type"] == "application/problem+json"


async def test_executions_run_through_the_api_are_counted(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    results = []
    for source in ("print(1)", "import sys; sys.exit(3)", "print(2)"):
        response = await gw.post(
            "/v1/executions", headers=me.headers, params={"wait": "true"}, json={"language": "python", "source": source}
        )
        assert response.status_code == 200, response.text
        results.append(response.json())

    # The default window: the last 30 days.
    languages = await view(gw, me, "languages")
    assert languages["items"] == [{"language": "python", "count": 3}]
    until, since = datetime.fromisoformat(languages["until"]), datetime.fromisoformat(languages["since"])
    assert until - since == timedelta(days=30)
    assert abs((datetime.now(UTC) - until).total_seconds()) < 60

    verdicts = await view(gw, me, "verdicts")
    assert {i["verdict"]: i["count"] for i in verdicts["items"]} == Counter(r["verdict"] for r in results)
    assert verdicts["items"][0] == {"verdict": "ok", "count": 2}

    run_stats = await view(gw, me, "run-stats")
    [python] = run_stats["items"]
    walls = [r["run"]["wall_time_ms"] for r in results]
    memory = [float(r["run"]["memory_kb"]) for r in results]
    assert python["runs"] == 3
    assert_run_stats(
        [python],
        [
            {
                "language": "python",
                "runs": 3,
                "wall_time_ms": {"p50": percentile_cont(walls, 0.5), "p95": percentile_cont(walls, 0.95)},
                "memory_kb": {"p50": percentile_cont(memory, 0.5), "p95": percentile_cont(memory, 0.95)},
            }
        ],
    )

    today = await view(gw, me, "timeline", bucket="hour", since=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    assert today["total"] == 3
    assert sum(p["count"] for p in today["items"]) == 3


async def test_analytics_need_an_account_and_executions_read(
    auth: AuthService, gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me = await make_account()
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=me.headers, json={"name": "stats", "scopes": ["snippets:read"]}
    )
    assert created.status_code == 201, created.text
    wrong_key = bearer(created.json()["key"])
    created = await auth.client.post(
        "/auth/v1/api-keys", headers=me.headers, json={"name": "stats", "scopes": ["executions:read"]}
    )
    right_key = bearer(created.json()["key"])
    for name in VIEWS:
        assert (await gw.get(f"/v1/analytics/{name}")).status_code == 401
        assert (await gw.get(f"/v1/analytics/{name}", headers=wrong_key)).status_code == 403
        assert (await gw.get(f"/v1/analytics/{name}", headers=right_key)).status_code == 200


async def test_bad_windows_are_clear_4xx(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    me = await make_account()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("languages", {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ("languages", {"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ("timeline", {"bucket": "hour", "since": "2025-01-01T00:00:00Z", "until": "2025-06-01T00:00:00Z"}, "bucket"),
        ("timeline", {"bucket": "week"}, "bucket"),
        ("verdicts", {"scope": "everyone"}, "scope"),
        ("run-stats", {"until": "0001-01-02T00:00:00Z"}, "until"),
        ("run-stats", {"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ("languages", {"since": "soon"}, "since"),
    ]
    for name, params, field in cases:
        response = await gw.get(f"/v1/analytics/{name}", headers=me.headers, params=params)
        assert response.status_code == 422, (name, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert ["query", field] in [e["loc"] for e in response.json()["errors"]], (params, response.text)


async def test_per_user_queries_can_use_their_indexes(sessions: async_sessionmaker[AsyncSession]) -> None:
    """With sequential scans priced out, the planner must find the analytics indexes."""
    # A window holding every row, so only the user narrows the scan.
    window = analytics_repo.Window(uuid.uuid4(), datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    statements = {
        "languages": analytics_repo.languages_stmt(window),
        "timeline": analytics_repo.timeline_stmt(window, "day"),
        "verdicts": analytics_repo.verdicts_stmt(window),
        "run stats": analytics_repo.run_stats_stmt(window),
    }
    async with sessions() as session:
        await session.execute(text("ANALYZE executions, execution_phases"))
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        dialect = session.get_bind().dialect
        for name, stmt in statements.items():
            sql = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars().all())
            assert "ix_executions_user_created_id" in plan, (name, plan)
            # Every one of them, the run percentiles included, reads the index alone.
            assert "Index Only Scan" in plan, (name, plan)
            assert "execution_phases" not in plan, (name, plan)
