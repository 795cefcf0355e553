"""History and analytics queries over 1,000,000 executions.

Creates its own database (dropped and migrated afresh), seeds executions and their phases in SQL
(generate_series: users with a skewed share each, 18 languages, realistic verdicts, 90 days),
VACUUM ANALYZE, then times the gateway's own statements (the analytics and history repositories)
per user (the heaviest user and a typical one) and globally: median and p95 of several runs.
The same statements then run with index scans disabled, as the in-run baseline. EXPLAIN shows
which indexes each statement uses. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bench.common import ROOT, machine, percentile
from services.gateway.analytics import repository as analytics
from services.gateway.history import repository as history
from services.gateway.history import service as history_service
from shared.db.bootstrap import ensure_database
from shared.db.session import create_engine, create_sessionmaker
from shared.settings import ServiceSettings

LANGUAGES = [
    "python", "javascript", "cpp", "java", "c", "go", "rust", "typescript", "csharp",
    "kotlin", "ruby", "php", "bash", "haskell", "lua", "perl", "sql", "fortran",
]  # fmt: skip
AnySelect = Select[*tuple[Any, ...]]
COMPILED = ["cpp", "java", "c", "go", "rust", "typescript", "csharp", "kotlin", "haskell", "fortran"]


def database_url() -> str:
    explicit = os.environ.get("CRH_BENCH_ANALYTICS_DATABASE_URL")
    if explicit:
        return explicit
    base = make_url(ServiceSettings().database_url.get_secret_value())
    return base.set(database="coderunhub_bench_analytics").render_as_string(hide_password=False)


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


SEED_USERS = "INSERT INTO users (id, role) SELECT gen_random_uuid(), 'user' FROM generate_series(1, :users)"
# A user's share is skewed (random()^2 over the users ordered by id): the first users are heavy.
# 5% are anonymous; 0.1% still queued.
SEED_EXECUTIONS = f"""
WITH u AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM users),
s AS (
    SELECT g, random() AS r_user, random() AS r_anon, random() AS r_lang, random() AS r_verdict, random() AS r_time
    FROM generate_series(1, :executions) AS g
)
INSERT INTO executions (id, user_id, language, version, status, verdict, files, limits, attempts,
                        created_at, started_at, program_started_at, finished_at, queue_wait_us)
SELECT
    gen_random_uuid(),
    CASE WHEN s.r_anon < 0.05 THEN NULL ELSE u.ids[1 + floor(power(s.r_user, 2) * u.n)::int] END,
    ({_array(LANGUAGES)})[1 + floor(power(s.r_lang, 1.6) * {len(LANGUAGES)})::int],
    '1.0',
    CASE WHEN s.g % 1000 = 0 THEN 'queued' ELSE 'finished' END,
    CASE
        WHEN s.g % 1000 = 0 THEN NULL
        WHEN s.r_verdict < 0.70 THEN 'ok'
        WHEN s.r_verdict < 0.80 THEN 'runtime_error'
        WHEN s.r_verdict < 0.86 THEN 'compilation_error'
        WHEN s.r_verdict < 0.91 THEN 'time_limit'
        WHEN s.r_verdict < 0.94 THEN 'memory_limit'
        WHEN s.r_verdict < 0.96 THEN 'output_limit'
        WHEN s.r_verdict < 0.98 THEN 'wrong_answer'
        WHEN s.r_verdict < 0.995 THEN 'accepted'
        ELSE 'internal_error'
    END,
    '[{{"name": "main.py", "content": "import sys\\nprint(sum(map(int, sys.stdin.read().split())))\\n"}}]'::jsonb,
    '{{"wall_time_ms": 10000, "cpu_time_ms": 5000, "memory_mb": 256, "processes": 128,
       "output_bytes": 262144, "file_size_kb": 131072}}'::jsonb,
    1,
    now() - s.r_time * interval '90 days',
    now() - s.r_time * interval '90 days' + interval '3 ms',
    now() - s.r_time * interval '90 days' + interval '4 ms',
    now() - s.r_time * interval '90 days' + interval '60 ms',
    2500
FROM s CROSS JOIN u
"""
SEED_RUN_PHASES = """
INSERT INTO execution_phases (execution_id, phase, verdict, exit_code, stdout, stderr,
                              cpu_time_us, wall_time_us, memory_kb, started_at, finished_at)
SELECT id, 'run',
       CASE WHEN verdict IN ('accepted', 'wrong_answer') THEN 'ok' ELSE verdict END,
       CASE WHEN verdict = 'ok' THEN 0 ELSE 1 END,
       '\\x34320a'::bytea, ''::bytea,
       (2000 + random() * 80000)::bigint,
       (4000 + power(random(), 3) * 900000)::bigint,
       (6000 + power(random(), 2) * 200000)::bigint,
       started_at, finished_at
FROM executions WHERE status = 'finished' AND verdict <> 'compilation_error'
"""
# The executor writes the run's measurements on the execution too (migration 0009).
SEED_RUN_MEASUREMENTS = """
UPDATE executions AS e SET run_wall_time_us = p.wall_time_us, run_memory_kb = p.memory_kb
FROM execution_phases AS p WHERE p.execution_id = e.id AND p.phase = 'run'
"""
SEED_COMPILE_PHASES = f"""
INSERT INTO execution_phases (execution_id, phase, verdict, exit_code, stdout, stderr,
                              cpu_time_us, wall_time_us, memory_kb, started_at, finished_at)
SELECT id, 'compile', CASE WHEN verdict = 'compilation_error' THEN 'compilation_error' ELSE 'ok' END, 0,
       ''::bytea, ''::bytea, 300000, 400000, 120000, started_at, finished_at
FROM executions WHERE status = 'finished' AND language = ANY({_array(COMPILED)})
"""

INDEX_OFF = (
    "SET LOCAL enable_indexscan = off",
    "SET LOCAL enable_indexonlyscan = off",
    "SET LOCAL enable_bitmapscan = off",
)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[AsyncSession], Awaitable[Any]]
    # Statements to EXPLAIN (the history page also loads its phases).
    statement: AnySelect | None


def migrate(url: str) -> None:
    argv = [sys.executable, "-m", "alembic", "-x", f"url={url}", "upgrade", "head"]
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)


async def seed(session: AsyncSession, users: int, executions: int) -> None:
    steps: list[tuple[str, str, dict[str, int]]] = [
        ("users", SEED_USERS, {"users": users}),
        ("executions", SEED_EXECUTIONS, {"executions": executions}),
        ("run phases", SEED_RUN_PHASES, {}),
        ("run measurements", SEED_RUN_MEASUREMENTS, {}),
        ("compile phases", SEED_COMPILE_PHASES, {}),
    ]
    for name, sql, params in steps:
        start = time.perf_counter()
        result = await session.execute(text(sql), params)
        await session.commit()
        print(f"  seeded {name}: {result.rowcount:,} rows in {time.perf_counter() - start:.1f} s", flush=True)  # type: ignore[attr-defined]


async def vacuum(url: str) -> None:
    # VACUUM cannot run in a transaction; it sets the visibility map index-only scans rely on.
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        start = time.perf_counter()
        # FULL for executions: the seed's UPDATE (run measurements) left a dead version of every
        # row and index entry, which a live table's autovacuum would have reclaimed long ago. FULL
        # leaves the visibility map empty, so a plain VACUUM follows.
        await connection.execute(text("VACUUM (FULL) executions"))
        await connection.execute(text("VACUUM (ANALYZE) executions"))
        await connection.execute(text("VACUUM (ANALYZE) execution_phases"))
        await connection.execute(text("VACUUM (ANALYZE) users"))
        print(f"  VACUUM ANALYZE in {time.perf_counter() - start:.1f} s", flush=True)
    await engine.dispose()


async def users_of_interest(session: AsyncSession) -> tuple[tuple[uuid.UUID, int], tuple[uuid.UUID, int]]:
    rows = (
        await session.execute(
            text("SELECT user_id, count(*) FROM executions WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY 2 DESC")
        )
    ).all()
    heavy, typical = rows[0], rows[len(rows) // 2]
    return (heavy[0], heavy[1]), (typical[0], typical[1])


async def middle_position(session: AsyncSession, user_id: uuid.UUID, count: int) -> tuple[datetime, uuid.UUID]:
    row = (
        await session.execute(
            text(
                "SELECT created_at, id FROM executions WHERE user_id = :u "
                "ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"
            ),
            {"u": user_id, "o": count // 2},
        )
    ).one()
    return row[0], row[1]


def history_query(user_id: uuid.UUID | None, **filters: Any) -> history.HistoryQuery:
    values: dict[str, Any] = {
        "language": None,
        "status": None,
        "verdict": None,
        "created_after": None,
        "created_before": None,
        "after": None,
        "limit": 20,
        **filters,
    }
    return history.HistoryQuery(user_id=user_id, **values)


def history_case(name: str, query: history.HistoryQuery) -> Case:
    async def run(session: AsyncSession) -> Any:
        return await history_service.page(session, query, with_output=True, encoding="text")

    return Case(name, run, history.page_stmt(query))


def analytics_cases(label: str, user_id: uuid.UUID | None, now: datetime) -> list[Case]:
    month = analytics.Window(user_id, now - timedelta(days=30), now)
    quarter = analytics.Window(user_id, now - timedelta(days=90), now)
    week = analytics.Window(user_id, now - timedelta(days=7), now)

    def rows(stmt: AnySelect) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def run(session: AsyncSession) -> Any:
            return (await session.execute(stmt)).all()

        return run

    statements: list[tuple[str, AnySelect]] = [
        ("languages, 30 d", analytics.languages_stmt(month)),
        ("languages, 90 d", analytics.languages_stmt(quarter)),
        ("timeline by day, 90 d", analytics.timeline_stmt(quarter, "day")),
        ("timeline by hour, 7 d", analytics.timeline_stmt(week, "hour")),
        ("verdicts, 30 d", analytics.verdicts_stmt(month)),
        ("run stats p50/p95, 30 d", analytics.run_stats_stmt(month)),
        ("run stats p50/p95, 90 d", analytics.run_stats_stmt(quarter)),
    ]
    return [Case(f"{label}: {name}", rows(stmt), stmt) for name, stmt in statements]


async def explain(session: AsyncSession, stmt: AnySelect) -> str:
    """The indexes the plan uses (or 'seq scan'), from EXPLAIN (FORMAT JSON)."""
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    plan = (await session.execute(text("EXPLAIN (FORMAT JSON) " + str(compiled)))).scalar_one()
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        kind = node["Node Type"]
        if "Index" in kind:
            found.append(f"{kind.replace('Index Only Scan', 'index-only').replace('Index Scan', 'index')} "
                         f"{node['Index Name']}")  # fmt: skip
        elif kind == "Seq Scan":
            found.append(f"seq scan {node['Relation Name']}")
        for child in node.get("Plans", ()):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return ", ".join(dict.fromkeys(found))


async def time_case(session: AsyncSession, case: Case, runs: int, settings: tuple[str, ...] = ()) -> list[float]:
    """One transaction per case (SET LOCAL lasts as long), read-only, rolled back at the end.

    Plans are made afresh at each execution (as for a statement's first five), so a generic plan
    cached with other planner settings is never reused."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for statement in settings:
        await session.execute(text(statement))
    await case.run(session)  # warm-up (and caches)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await case.run(session)
        samples.append((time.perf_counter() - start) * 1000)
    await session.rollback()
    return samples


async def main_async(args: argparse.Namespace) -> None:
    url = database_url()
    print(f"machine: {machine()}")
    engine = create_engine(url, pool_size=2)
    sessions = create_sessionmaker(engine)
    if not args.reuse:
        print(f"database {make_url(url).database}: recreating, migrating, seeding {args.executions:,} executions")
        await ensure_database(url, recreate=True)
        migrate(url)
        async with sessions() as session:
            await seed(session, args.users, args.executions)
        await vacuum(url)
    async with sessions() as session:
        sizes = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM executions), (SELECT count(*) FROM execution_phases), "
                    "pg_size_pretty(pg_total_relation_size('executions')), "
                    "pg_size_pretty(pg_total_relation_size('execution_phases'))"
                )
            )
        ).one()
        print(f"executions: {sizes[0]:,} rows ({sizes[2]}); execution_phases: {sizes[1]:,} rows ({sizes[3]})")
        (heavy, heavy_n), (typical, typical_n) = await users_of_interest(session)
        print(f"heaviest user: {heavy_n:,} executions; typical (median) user: {typical_n:,}")
        middle = await middle_position(session, heavy, heavy_n)
        now = datetime.now(UTC)
        cases = [
            *analytics_cases("heavy user", heavy, now),
            *analytics_cases("typical user", typical, now),
            *analytics_cases("global", None, now),
            history_case("heavy user: history, first page", history_query(heavy)),
            history_case("heavy user: history, page at the middle", history_query(heavy, after=middle)),
            history_case(
                "heavy user: history, language+verdict filter",
                history_query(heavy, language="rust", verdict="time_limit"),
            ),
            history_case("typical user: history, first page", history_query(typical)),
            history_case("global: history, first page", history_query(None)),
            history_case("global: history, verdict filter", history_query(None, verdict="internal_error")),
        ]
        results: list[tuple[Case, list[float], list[float], str]] = []
        for case in cases:
            plan = await explain(session, case.statement) if case.statement is not None else ""
            indexed = await time_case(session, case, args.runs)
            baseline = await time_case(session, case, args.baseline_runs, INDEX_OFF)
            results.append((case, indexed, baseline, plan))
            print(
                f"  {case.name:48} p50 {statistics.median(indexed):8.2f} ms  p95 {percentile(indexed, 95):8.2f} ms"
                f"  | no index p50 {statistics.median(baseline):8.2f} ms",
                flush=True,
            )
    await engine.dispose()
    print()
    print("| query | p50 ms | p95 ms | no-index p50 ms | × faster | plan (indexed) |")
    print("|---|---|---|---|---|---|")
    for case, indexed, baseline, plan in results:
        p50, base = statistics.median(indexed), statistics.median(baseline)
        print(f"| {case.name} | {p50:.2f} | {percentile(indexed, 95):.2f} | {base:.2f} | {base / p50:.1f} | {plan} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per query (after one warm-up)")
    parser.add_argument("--baseline-runs", type=int, default=5, help="timed runs per query without indexes")
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded by an earlier run")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
