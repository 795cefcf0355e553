"""Code metrics of saved snippets: every save that makes a revision queues a `metrics` analysis,
the session's real executor runs lizard in a sandbox and writes the revision's code_metrics row,
GET /v1/snippets shows the current revision's, and GET /v1/analytics/code-metrics buckets them."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.analysis.model import AnalysisFile, AnalysisJob, MetricsTarget
from shared.db.models import CodeMetric
from shared.redis_keys import ANALYSIS_QUEUE
from tests.product.conftest import Account, MakeAccount

# Three ifs: cyclomatic complexity 4; main: 1. 15 lines, 11 of them code (16 and 11 marked).
CLASSIFY = """def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    if n > 100:
        return "big"
    return "small"


def main():
    print(classify(5))


main()
"""
# A loop, an if and an `and`: 4. Eight lines, six of them code: a comment is none (9 and 6 marked).
LOOP = """# counts the evens
def evens(items):
    total = 0
    for item in items:
        if item % 2 == 0 and item > 0:
            total += 1
    return total

"""


def marked(content: str) -> str:
    """Content no other test (or run) analysed: its metrics are computed, not taken from the cache."""
    return f"{content}# {secrets.token_hex(8)}\n"


async def create(gw: httpx.AsyncClient, account: Account, files: list[dict[str, str]], **fields: Any) -> dict[str, Any]:
    body = {"title": "Metrics", "language": "python", "files": files, **fields}
    response = await gw.post("/v1/snippets", headers=account.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def measured(gw: httpx.AsyncClient, account: Account, snippet_id: str, revision: int) -> dict[str, Any]:
    """The snippet's metrics once the executor has stored those of `revision` (its current one)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = await gw.get(f"/v1/snippets/{snippet_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        metrics: dict[str, Any] | None = response.json()["metrics"]
        if metrics is not None and metrics["revision"] == revision:
            return metrics
        await asyncio.sleep(0.1)
    raise AssertionError(f"no metrics for revision {revision} of snippet {snippet_id}")


async def rows_of(sessions: async_sessionmaker[AsyncSession], snippet_id: str) -> list[CodeMetric]:
    async with sessions() as session:
        stmt = select(CodeMetric).where(CodeMetric.snippet_id == uuid.UUID(snippet_id)).order_by(CodeMetric.revision)
        return list((await session.execute(stmt)).scalars())


def today() -> str:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).isoformat().replace("+00:00", "Z")


async def test_a_saved_snippet_gets_its_functions_and_complexity(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    created = await create(gw, owner, [{"name": "main.py", "content": marked(CLASSIFY)}])
    # The save answers at once: the metrics come a moment later.
    assert created["metrics"] is None
    metrics = await measured(gw, owner, created["id"], 1)
    assert {key: value for key, value in metrics.items() if key != "computed_at"} == {
        "revision": 1,
        "language": "python",
        "lines": 16,
        "code_lines": 11,
        "functions": 2,
        "ccn_max": 4,
        "ccn_avg": 2.5,
    }
    (row,) = await rows_of(sessions, created["id"])
    assert (row.owner_id, row.revision, row.functions, row.ccn_max) == (uuid.UUID(owner.id), 1, 2, 4)
    # computed_at is the revision's save time.
    assert datetime.fromisoformat(metrics["computed_at"]) == datetime.fromisoformat(created["updated_at"])

    # The list shows them too.
    listed = await gw.get("/v1/snippets", headers=owner.headers)
    (item,) = [item for item in listed.json()["items"] if item["id"] == created["id"]]
    assert item["metrics"] == metrics


async def test_each_revision_gets_its_own_row(
    gw: httpx.AsyncClient,
    make_account: MakeAccount,
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.Redis,
) -> None:
    owner = await make_account()
    first = marked(CLASSIFY)
    created = await create(gw, owner, [{"name": "main.py", "content": first}])
    path = f"/v1/snippets/{created['id']}"
    await measured(gw, owner, created["id"], 1)

    # New files: revision 2 has the metrics of both files.
    files = [{"name": "main.py", "content": first}, {"name": "loop.py", "content": LOOP}]
    patched = await gw.patch(path, headers=owner.headers, json={"files": files})
    assert patched.status_code == 200, patched.text
    assert patched.json()["revision"] == 2
    assert patched.json()["metrics"] is None
    second = await measured(gw, owner, created["id"], 2)
    assert (second["lines"], second["code_lines"], second["functions"], second["ccn_max"]) == (24, 17, 3, 4)
    assert second["ccn_avg"] == (4 + 1 + 4) / 3

    # A title change is a revision too: the same files' metrics, from the cache.
    retitled = await gw.patch(path, headers=owner.headers, json={"title": "Renamed"})
    assert retitled.json()["revision"] == 3
    third = await measured(gw, owner, created["id"], 3)
    assert {k: v for k, v in third.items() if k not in ("revision", "computed_at")} == {
        k: v for k, v in second.items() if k not in ("revision", "computed_at")
    }
    # Visibility alone is no revision: the current metrics stay.
    shown = await gw.patch(path, headers=owner.headers, json={"visibility": "unlisted"})
    assert shown.json()["revision"] == 3
    assert shown.json()["metrics"] == third

    rows = await rows_of(sessions, created["id"])
    assert [(r.revision, r.functions, r.lines) for r in rows] == [(1, 2, 16), (2, 3, 24), (3, 3, 24)]

    # A job run again (an executor died before taking it off its list) stores nothing twice: here
    # with other files, and the row stays as it was.
    job = AnalysisJob(
        key=secrets.token_hex(32),
        language="python",
        variant="3.13",
        checks=["metrics"],
        files=[AnalysisFile(name="main.py", content="x = 1\n")],
        anonymous=False,
        deadline=time.time() + 60,
        persist=MetricsTarget(snippet_id=uuid.UUID(created["id"]), revision=1),
    )
    redis_client.lpush(ANALYSIS_QUEUE, job.model_dump_json())
    deadline = time.monotonic() + 30
    while redis_client.llen(ANALYSIS_QUEUE) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    assert [(r.revision, r.lines) for r in await rows_of(sessions, created["id"])] == [(1, 16), (2, 24), (3, 24)]

    # Deleting the snippet deletes its metrics.
    assert (await gw.delete(path, headers=owner.headers)).status_code == 204
    assert await rows_of(sessions, created["id"]) == []


async def test_languages_lizard_does_not_read_get_line_counts_and_forks_are_measured(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account()
    script = marked("#!/bin/bash\nx=1\n\nif [ $x ]; then echo $x; fi\n")
    created = await create(gw, owner, [{"name": "main.sh", "content": script}], language="bash", visibility="public")
    metrics = await measured(gw, owner, created["id"], 1)
    assert (metrics["lines"], metrics["code_lines"], metrics["functions"], metrics["ccn_max"]) == (5, 4, None, None)
    assert metrics["ccn_avg"] is None

    forker = await make_account()
    fork = await gw.post(f"/v1/snippets/{created['id']}/fork", headers=forker.headers)
    assert fork.status_code == 201, fork.text
    forked = await measured(gw, forker, fork.json()["id"], 1)
    assert (forked["lines"], forked["language"]) == (5, "bash")


async def test_analytics_buckets_the_owners_metrics_only(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, other = await make_account(), await make_account()
    first = await create(gw, owner, [{"name": "main.py", "content": marked(CLASSIFY)}])
    second = await create(gw, owner, [{"name": "loop.py", "content": marked(LOOP)}])
    await measured(gw, owner, first["id"], 1)
    await measured(gw, owner, second["id"], 1)

    async def buckets(account: Account, **params: Any) -> dict[str, Any]:
        response = await gw.get("/v1/analytics/code-metrics", headers=account.headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    body = await buckets(owner, bucket="day")
    assert (body["scope"], body["bucket"]) == ("mine", "day")
    assert len(body["items"]) in (30, 31)
    (now,) = [item for item in body["items"] if item["snippets"]]
    assert now == {
        "start": today(),
        "snippets": 2,
        "lines": 16 + 9,
        "functions": 3,
        # Over all three functions: (4 + 1 + 4) / 3.
        "ccn_avg": 3.0,
        "ccn_max": 4,
    }
    hours = await buckets(owner, bucket="hour", since=(datetime.now(UTC) - timedelta(hours=3)).isoformat())
    assert sum(item["snippets"] for item in hours["items"]) == 2

    # Someone else sees none of them: not in their analytics, not the private snippets themselves.
    assert all(item["snippets"] == 0 for item in (await buckets(other))["items"])
    assert (await gw.get(f"/v1/snippets/{first['id']}", headers=other.headers)).status_code == 404
    assert (
        await gw.get("/v1/analytics/code-metrics", params={"scope": "global"}, headers=other.headers)
    ).status_code == 403

    # Each snippet counts once per bucket, at the last revision saved in it.
    path = f"/v1/snippets/{first['id']}"
    await gw.patch(path, headers=owner.headers, json={"files": [{"name": "main.py", "content": marked(CLASSIFY)}]})
    await gw.patch(path, headers=owner.headers, json={"files": [{"name": "main.py", "content": marked(LOOP)}]})
    await measured(gw, owner, first["id"], 3)
    async with sessions() as session:
        # Revision 1 on one day, 2 and 3 on the next, long ago.
        for revision, moment in ((1, "2011-06-01T10:00Z"), (2, "2011-06-02T09:00Z"), (3, "2011-06-02T11:00Z")):
            await session.execute(
                text("UPDATE code_metrics SET created_at = :at WHERE snippet_id = :id AND revision = :revision"),
                {"at": datetime.fromisoformat(moment), "id": uuid.UUID(first["id"]), "revision": revision},
            )
        await session.commit()
    old = await buckets(owner, since="2011-06-01T00:00:00Z", until="2011-06-04T00:00:00Z")
    assert [(i["start"], i["snippets"], i["functions"], i["ccn_max"], i["lines"]) for i in old["items"]] == [
        ("2011-06-01T00:00:00Z", 1, 2, 4, 16),
        ("2011-06-02T00:00:00Z", 1, 1, 4, 9),
        ("2011-06-03T00:00:00Z", 0, 0, None, 0),
    ]


async def test_the_metrics_check_answers_for_any_language(gw: httpx.AsyncClient) -> None:
    c = marked("int twice(int x) { return x > 0 ? 2 * x : 0; }\nint main(void) { return twice(1); }\n")
    c = c.replace("# ", "// ")
    response = await gw.post(
        "/v1/analyses",
        json={"language": "c", "files": [{"name": "main.c", "content": c}], "checks": ["metrics"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["tools"], body["diagnostics"]) == (
        "ok",
        [{"name": "lizard", "version": "1.24.3"}],
        [],
    )
    assert body["metrics"] == {
        "lines": 3,
        "code_lines": 2,
        "measured_files": ["main.c"],
        "function_count": 2,
        "functions": [
            {"file": "main.c", "name": "twice", "line": 1, "ccn": 2, "nloc": 1, "params": 1},
            {"file": "main.c", "name": "main", "line": 2, "ccn": 1, "nloc": 1, "params": 0},
        ],
        "ccn_max": 2,
        "ccn_avg": 1.5,
    }
    # With the linter's checks, in one answer.
    python = await gw.post(
        "/v1/analyses",
        json={
            "language": "python",
            "files": [{"name": "main.py", "content": "import os\n" + marked(CLASSIFY)}],
            "checks": ["metrics", "lint"],
        },
    )
    assert python.status_code == 200, python.text
    assert "F401" in [d["code"] for d in python.json()["diagnostics"]]
    assert (python.json()["metrics"]["function_count"], python.json()["metrics"]["ccn_max"]) == (2, 4)
    # Without the check, no metrics.
    lint = await gw.post("/v1/analyses", json={"language": "python", "files": [{"name": "main.py", "content": "x\n"}]})
    assert lint.json()["metrics"] is None
