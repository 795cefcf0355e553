"""Code analysis end to end (POST /v1/analyses): a real gateway, the session's executor running ruff
in sandboxes of the analysis image, Redis for the cache, the queue and the budgets. The autouse
fixture of tests/e2e/conftest.py also checks that no sandbox of a finished analysis remains."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from redis.asyncio import Redis as AsyncRedis

from services.executor.analysis import requeue
from services.gateway.app import create_app
from shared.analysis.model import AnalysisFile, AnalysisJob, TextEdit
from shared.redis_keys import ANALYSIS_QUEUE, ANALYSIS_TOOLS, analysis_processing, executor_heartbeat
from shared.settings import RateLimitPolicy
from tests.conftest import EXECUTOR_ID, gateway_settings, serve
from tests.deploy.servers import own_redis

PROBLEM = "application/problem+json"
# Each test's files are its own (a nonce comment): nothing is answered from another test's cache.
Files = list[dict[str, str]]


def fresh(content: str) -> str:
    return f"# {secrets.token_hex(8)}\n{content}"


async def analyse(api: httpx.AsyncClient, files: Files, **fields: Any) -> httpx.Response:
    return await api.post("/v1/analyses", json={"language": "python", "files": files, **fields})


async def analysed(api: httpx.AsyncClient, files: Files, **fields: Any) -> dict[str, Any]:
    response = await analyse(api, files, **fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def apply(source: str, edits: list[TextEdit]) -> str:
    """Edits as an editor applies them: 1-based lines, UTF-16 columns."""
    lines = source.split("\n")

    def offset(line: int, column: int) -> int:
        before = sum(len(text) + 1 for text in lines[: line - 1])
        return before + len(lines[line - 1].encode("utf-16-le")[: (column - 1) * 2].decode("utf-16-le"))

    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        source = source[: offset(edit.line, edit.column)] + edit.text + source[offset(edit.end_line, edit.end_column) :]
    return source


def pool_takes(client: redis.Redis) -> int:
    """Sandboxes the session's executor took from its pool (or started for a miss), ever."""
    beat: bytes = client.get(executor_heartbeat(EXECUTOR_ID))  # type: ignore[assignment]
    pool = json.loads(beat)["pool"]
    return int(pool["hits"] + pool["reuses"] + pool["misses"])


async def test_an_undefined_name_is_reported_at_its_line_and_utf16_column(api: httpx.AsyncClient) -> None:
    source = fresh('import sys\n\n\nmark = "😀"; print(undefined_name, sys.argv)\n')
    body = await analysed(api, [{"name": "main.py", "content": source}])
    assert body["status"] == "ok", body
    assert body["language"] == "python"
    assert body["cached"] is False
    assert body["tools"] == [{"name": "ruff", "version": "0.17.6"}]
    (undefined,) = [d for d in body["diagnostics"] if d["code"] == "F821"]
    # Line 5 (after the nonce): `mark = "😀"; print(undefined_name, ...`: ruff's character 19 is
    # UTF-16 unit 20 (the emoji takes two).
    assert {key: undefined[key] for key in ("file", "line", "column", "end_line", "end_column", "severity")} == {
        "file": "main.py",
        "line": 5,
        "column": 20,
        "end_line": 5,
        "end_column": 34,
        "severity": "error",
    }
    assert undefined["message"] == "Undefined name `undefined_name`"
    assert undefined["source"] == "ruff"


async def test_an_unused_import_comes_with_a_safe_fix_that_removes_it(api: httpx.AsyncClient) -> None:
    source = fresh("import os\nimport sys\n\nprint(sys.argv)\n")
    body = await analysed(api, [{"name": "main.py", "content": source}, {"name": "lib/util.py", "content": "x = 1\n"}])
    (unused,) = [d for d in body["diagnostics"] if d["code"] == "F401"]
    assert (unused["file"], unused["line"], unused["column"], unused["end_column"]) == ("main.py", 2, 8, 10)
    (fix,) = unused["fixes"]
    assert fix["applicability"] == "safe"
    edits = [TextEdit.model_validate(edit) for edit in fix["edits"]]
    assert apply(source, edits) == source.replace("import os\n", "")


async def test_format_returns_the_formatted_files(api: httpx.AsyncClient) -> None:
    messy = fresh("x = {  'a':1 }\ndef f(a,b):\n  return a+b\n")
    tidy = fresh("y = 1\n")
    body = await analysed(
        api,
        [
            {"name": "main.py", "content": messy},
            {"name": "tidy.py", "content": tidy},
            {"name": "data.txt", "content": "a"},
        ],
        checks=["format"],
    )
    assert body["status"] == "ok", body
    assert body["diagnostics"] == []
    formatted = {f["name"]: f for f in body["formatted"]}
    assert set(formatted) == {"main.py", "tidy.py"}
    assert formatted["main.py"]["changed"] is True
    assert (
        formatted["main.py"]["content"] == messy.split("\n")[0] + '\nx = {"a": 1}\n\n\ndef f(a, b):\n    return a + b\n'
    )
    assert formatted["tidy.py"] == {"name": "tidy.py", "content": tidy, "changed": False}


async def test_a_repeated_request_is_answered_from_the_cache_without_a_sandbox(
    api: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    files = [{"name": "main.py", "content": fresh("import os\n")}]
    first = await analysed(api, files, checks=["lint", "format"])
    assert first["cached"] is False
    await asyncio.sleep(1.5)  # the executor's heartbeat (each second) carries its pool's counters
    takes = pool_takes(redis_client)
    started = time.monotonic()
    again = await analysed(api, files, checks=["format", "lint"])
    assert time.monotonic() - started < 1
    assert again["cached"] is True
    assert {**again, "cached": False} == first
    await asyncio.sleep(1.5)
    assert pool_takes(redis_client) == takes, "a cache hit took a sandbox"
    assert redis_client.llen(analysis_processing(EXECUTOR_ID)) == 0
    assert redis_client.llen(ANALYSIS_QUEUE) == 0
    # And by its id, while it is cached.
    read = await api.get(f"/v1/analyses/{first['id']}")
    assert read.status_code == 200
    assert read.json() == again


async def test_unsupported_languages_and_bad_input(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/analyses", json={"language": "rust", "files": [{"name": "main.rs", "content": "x"}]})
    assert response.status_code == 200
    assert response.json()["status"] == "unsupported"
    assert response.json()["diagnostics"] == []

    async def refused(files: Files, language: str = "python", **fields: Any) -> httpx.Response:
        response = await api.post("/v1/analyses", json={"language": language, "files": files, **fields})
        assert response.headers["content-type"] == PROBLEM, response.text
        return response

    unknown = await refused([{"name": "main.py", "content": "x"}], language="cobra")
    assert (unknown.status_code, unknown.json()["errors"][0]["loc"]) == (422, ["body", "language"])
    for name in ("../main.py", "/etc/passwd", "-x.py", "pkg/--fix.py", "a b.py"):
        bad = await refused([{"name": name, "content": "x = 1\n"}])
        assert (bad.status_code, bad.json()["errors"][0]["loc"]) == (422, ["body", "files", 0, "name"]), name
    duplicate = await refused([{"name": "a.py", "content": ""}, {"name": "a.py", "content": ""}])
    assert duplicate.status_code == 422
    assert (await refused([{"name": "a.py", "content": "\x00"}])).status_code == 422
    assert (await refused([{"name": "a.py", "content": "x"}], checks=["style"])).status_code == 422
    assert (await refused([{"name": "a.py", "content": "x"}], checks=[])).status_code == 422
    assert (await refused([])).status_code == 422
    too_big = await refused([{"name": "a.py", "content": "#" * (600 << 10)}])
    assert too_big.status_code == 413
    many = await refused([{"name": f"m{i}.py", "content": ""} for i in range(65)])
    assert many.status_code == 422
    assert (await api.get(f"/v1/analyses/{'0' * 64}")).status_code == 404
    assert (await api.get("/v1/analyses/not-a-key")).status_code == 422


async def test_the_tools_are_listed(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/analyses/tools")
    assert response.status_code == 200
    listed = {(item["language"], item["version"]): item for item in response.json()}
    assert all(item["available"] for item in listed.values())

    def tools(language: str, version: str | None = None) -> dict[str, str]:
        return {tool["name"]: tool["version"] for tool in listed[language, version]["tools"]}

    assert listed["bash", None]["checks"] == ["lint"]
    assert tools("bash") == {"shellcheck": "0.10.0"}
    assert listed["python", None]["checks"] == ["format", "lint", "types"]
    assert tools("python") == {"mypy": "1.15.0", "ruff": "0.17.6"}
    # Compilers are each version's own: one entry per version, the compiler's version its runtime's.
    assert [version for language, version in listed if language == "c"] == ["gcc-14", "gcc-12", "clang-19", "tcc"]
    assert tools("c", "gcc-12") == {"clang-format": "19.1.7", "gcc": "12.2.0"}
    assert tools("c", "tcc") == {"clang-format": "19.1.7", "gcc": "14.2.0"}
    assert tools("cpp", "clang-19") == {"clang++": "19.1.7", "clang-format": "19.1.7"}
    assert tools("go", "1.19") == {"go vet": "1.19.8", "gofmt": "1.19.8"}
    assert tools("typescript", "5.9") == {"prettier": "3.10.2", "tsc": "5.9.3"}
    assert tools("javascript") == {"prettier": "3.10.2", "tsc": "7.0.2"}
    assert listed["javascript", None]["checks"] == ["format", "lint"]


async def test_shell_scripts_are_linted_by_shellcheck(api: httpx.AsyncClient) -> None:
    script = fresh('x=😀; echo "$x" $1\n')
    files = [{"name": "run.sh", "content": script}, {"name": ".shellcheckrc", "content": "disable=SC2086\n"}]
    response = await api.post("/v1/analyses", json={"language": "bash", "files": files})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["tools"]) == ("ok", [{"name": "shellcheck", "version": "0.10.0"}])
    # The submitted .shellcheckrc is ignored (--norc); `$1` is shellcheck's character 16, after the
    # emoji UTF-16 unit 17.
    (quote,) = body["diagnostics"]
    assert (quote["code"], quote["line"], quote["column"], quote["end_column"]) == ("SC2086", 2, 17, 19)
    assert apply(script, [TextEdit.model_validate(e) for e in quote["fixes"][0]["edits"]]).endswith('"$1"\n')


@pytest_asyncio.fixture
async def tight_api(database: str, redis_client: redis.Redis) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose anonymous callers get 4 analyses a minute, 2 at a time (executions as usual)."""
    for key in redis_client.scan_iter(match="crh:ratelimit*analyses*"):
        redis_client.delete(key)
    policy = RateLimitPolicy(
        executions="1000/minute",
        reads="1000/minute",
        writes="1000/minute",
        max_in_flight=1000,
        analyses="4/minute",
        max_analyses_in_flight=2,
    )
    async with (
        serve(create_app(gateway_settings(anonymous_rate_limits=policy))) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as client,
    ):
        yield client


async def test_an_exhausted_analyses_budget_leaves_executions_alone(tight_api: httpx.AsyncClient) -> None:
    files = [{"name": "main.py", "content": fresh("import os\n")}]
    statuses = [(await analyse(tight_api, files)).status_code for _ in range(4)]
    # Cache hits count too.
    assert statuses == [200, 200, 200, 200]
    refused = await analyse(tight_api, files)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"] == '"analyses";q=4;w=60'
    execution = await tight_api.post("/v1/executions?wait=true", json={"language": "python", "source": "print(6*7)"})
    assert execution.status_code == 200, execution.text
    assert execution.json()["run"]["stdout"] == "42\n"
    assert execution.headers["RateLimit-Policy"].startswith('"executions"')


def nested_lists(depth: int) -> str:
    """`[[[1, 2], 2], 2]...`: a few KB that ruff's formatter indents into tens of MB."""
    text = "1"
    for _ in range(depth):
        text = f"[{text}, 2]"
    return f"x = {text}\n"


async def test_hostile_inputs_are_contained(api: httpx.AsyncClient) -> None:
    # Configuration shipped with the files is ignored: ruff runs --isolated with its defaults.
    config = [
        {"name": "main.py", "content": fresh("import os\n\ny = 1  # " + "z" * 150 + "\n")},
        {"name": "pyproject.toml", "content": '[tool.ruff]\nline-length = 10\n[tool.ruff.lint]\nignore = ["F401"]\n'},
        {"name": "ruff.toml", "content": 'extend-exclude = ["main.py"]\n[lint]\nselect = ["ALL"]\n'},
        {"name": ".ruff.toml", "content": '[lint]\nselect = ["D"]\n'},
    ]
    body = await analysed(api, config)
    assert body["status"] == "ok"
    assert [d["code"] for d in body["diagnostics"]] == ["F401"]

    # Files crafted to make the tool work long: tens of thousands of diagnostics (MBs of JSON) stop
    # at the output limit; a formatter output hundreds of times the input stops at the file size
    # limit; either way nothing of it comes back.
    flood = "".join(f"import m{i}\n" for i in range(30_000))
    body = await analysed(api, [{"name": "flood.py", "content": fresh(flood)}])
    assert (body["status"], body["diagnostics"]) in (("limit", []), ("timeout", [])), body
    explosion = [{"name": "deep.py", "content": fresh(nested_lists(2_000))}]
    body = await analysed(api, explosion, checks=["format"])
    assert (body["status"], body["formatted"]) in (("limit", None), ("timeout", None)), body

    # A tool that crashes (ruff's parser overflows its stack) is an error, not diagnostics.
    body = await analysed(api, [{"name": "chain.py", "content": fresh("x = " + "-" * 100_000 + "1\n")}])
    assert (body["status"], body["diagnostics"]) == ("error", []), body
    assert "ruff failed" in body["detail"]

    # And the next analysis is fine.
    body = await analysed(api, [{"name": "main.py", "content": fresh("import os\n")}])
    assert body["status"] == "ok"
    assert [d["code"] for d in body["diagnostics"]] == ["F401"]


@pytest.fixture
def idle_redis() -> Iterator[str]:
    """A Redis of the test's own that no executor serves: queued analyses wait there (the
    machine's shared server and its databases are left alone)."""
    with own_redis() as server:
        yield server.url


@pytest_asyncio.fixture
async def idle_api(redis_client: redis.Redis, idle_redis: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway on idle_redis that waits 1 s for results, 2 analyses in flight per caller."""
    idle = redis.Redis.from_url(idle_redis)
    # The tools as the session's executor reported them: the gateway offers only reported tools.
    idle.hset(ANALYSIS_TOOLS, mapping=redis_client.hgetall(ANALYSIS_TOOLS))  # type: ignore[arg-type]
    idle.close()
    policy = RateLimitPolicy(analyses="100/minute", max_analyses_in_flight=2)
    settings = gateway_settings(redis_url=idle_redis, anonymous_rate_limits=policy, analysis_wait_s=1.0)
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield client


async def test_in_flight_cap_and_results_that_outlast_the_wait(idle_api: httpx.AsyncClient, idle_redis: str) -> None:
    first = asyncio.create_task(analyse(idle_api, [{"name": "a.py", "content": fresh("x = 1\n")}]))
    second = asyncio.create_task(analyse(idle_api, [{"name": "b.py", "content": fresh("x = 1\n")}]))
    await asyncio.sleep(0.5)
    # Both of the caller's slots are taken by requests waiting for their results.
    third = await analyse(idle_api, [{"name": "c.py", "content": fresh("x = 1\n")}])
    assert third.status_code == 429
    assert third.headers["content-type"] == PROBLEM
    assert third.json()["title"] == "Too many analyses in flight"
    assert third.headers["Retry-After"] == "1"
    for answer in (await first, await second):
        # Nobody ran them within the wait: 202, and the result's place.
        assert answer.status_code == 202, answer.text
        key = answer.json()["id"]
        assert answer.headers["Location"] == f"/v1/analyses/{key}"
        # Queued: still pending there (the job waits for an executor until its deadline).
        assert (await idle_api.get(answer.headers["Location"])).status_code == 202
    idle = redis.Redis.from_url(idle_redis)
    try:
        assert idle.llen(ANALYSIS_QUEUE) == 2
        # Slots are free again once the requests answered.
        files = [{"name": "d.py", "content": fresh("x = 1\n")}]
        later = await analyse(idle_api, files)
        assert later.status_code == 202
        # The same request again while it is pending waits for the same job: nothing more is queued.
        again = await analyse(idle_api, files)
        assert again.status_code == 202
        assert again.json()["id"] == later.json()["id"]
        assert idle.llen(ANALYSIS_QUEUE) == 3
    finally:
        idle.close()


async def test_a_dead_executors_analyses_are_queued_again_once(idle_redis: str) -> None:
    client = AsyncRedis.from_url(idle_redis)
    try:
        job = AnalysisJob(
            key="a" * 64,
            language="python",
            variant="3.13",
            checks=["lint"],
            files=[AnalysisFile(name="main.py", content="x = 1\n")],
            anonymous=True,
            deadline=time.time() + 60,
        )
        expired = job.model_copy(update={"key": "b" * 64, "deadline": time.time() - 1})
        processing = analysis_processing("executor-gone")
        await client.rpush(processing, job.model_dump_json(), expired.model_dump_json(), "not a job")
        # What nobody waits for any more, or cannot be read, is dropped; the rest goes back.
        assert await requeue(client, processing) == 1
        assert await client.exists(processing) == 0
        (raw,) = await client.lrange(ANALYSIS_QUEUE, 0, -1)
        assert AnalysisJob.model_validate_json(raw) == job.model_copy(update={"attempt": 1})
        # Taken by another executor that died as well: not again.
        await client.lmove(ANALYSIS_QUEUE, processing, "RIGHT", "LEFT")
        assert await requeue(client, processing) == 0
        assert await client.llen(ANALYSIS_QUEUE) == 0
    finally:
        await client.aclose()
