"""Bad requests get one problem+json shape and a 4xx; nothing is persisted or queued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

GOOD = {"language": "python", "source": "print(1)"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://coderunhub.dev/problems/")
    assert body["title"]
    return body


@pytest.mark.usefixtures("nothing_queued")
class TestRejectedSubmissions:
    async def test_unknown_language(self, api: httpx.AsyncClient) -> None:
        body = assert_problem(await api.post("/v1/executions", json={**GOOD, "language": "klingon"}), 422)
        assert body["errors"][0]["loc"] == ["body", "language"]
        assert "unknown language" in body["errors"][0]["msg"]

    @pytest.mark.parametrize("language", [42, None, ["python"], ""])
    async def test_wrongly_typed_language(self, api: httpx.AsyncClient, language: object) -> None:
        assert_problem(await api.post("/v1/executions", json={**GOOD, "language": language}), 422)

    async def test_oversized_source(self, api: httpx.AsyncClient) -> None:
        body = assert_problem(await api.post("/v1/executions", json={**GOOD, "source": "#" * 600_000}), 413)
        assert "bytes" in body["detail"]

    async def test_body_over_the_request_limit_is_refused_before_parsing(self, api: httpx.AsyncClient) -> None:
        payload = b'{"language": "python", "source": "' + b"x" * (3 << 20) + b'"}'
        response = await api.post("/v1/executions", content=payload, headers={"content-type": "application/json"})
        assert_problem(response, 413)

    async def test_chunked_body_over_the_limit(self, api: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"language": "python", "source": "'
            for _ in range(40):
                yield b"x" * 100_000
            yield b'"}'

        response = await api.post("/v1/executions", content=chunks(), headers={"content-type": "application/json"})
        assert_problem(response, 413)

    @pytest.mark.parametrize(
        ("limits", "field"),
        [
            ({"cpu_time_ms": 10**9}, "cpu_time_ms"),
            ({"memory_mb": -1}, "memory_mb"),
            ({"processes": 0}, "processes"),
            ({"wall_time_ms": 31_000}, "wall_time_ms"),
            ({"output_bytes": 1 << 30}, "output_bytes"),
        ],
    )
    async def test_limits_over_the_maximum(self, api: httpx.AsyncClient, limits: dict[str, int], field: str) -> None:
        body = assert_problem(await api.post("/v1/executions", json={**GOOD, "limits": limits}), 422)
        error = body["errors"][0]
        assert error["loc"] == ["body", "limits", field]
        assert "between" in error["msg"]

    async def test_unknown_limit_field(self, api: httpx.AsyncClient) -> None:
        assert_problem(await api.post("/v1/executions", json={**GOOD, "limits": {"gpu": 1}}), 422)

    @pytest.mark.parametrize("body", [b"{not json", b'{"language": "python",', b"\xff\xfe", b""])
    async def test_malformed_json(self, api: httpx.AsyncClient, body: bytes) -> None:
        response = await api.post("/v1/executions", content=body, headers={"content-type": "application/json"})
        assert response.status_code in (400, 422)
        assert_problem(response, response.status_code)

    async def test_both_source_and_files(self, api: httpx.AsyncClient) -> None:
        payload = {**GOOD, "files": [{"name": "main.py", "content": "print(2)"}]}
        assert_problem(await api.post("/v1/executions", json=payload), 422)

    @pytest.mark.parametrize(
        "name",
        [
            "../../etc/passwd",
            "/etc/passwd",
            "a/../../x",
            "bad\x00name.py",
            "n" * 4096,
            "a//b.py",
            ".",
            "x/./y.py",
            "sp ace.py",
            "-v",
            "lib/--help.py",
        ],
    )
    async def test_unsafe_file_names(self, api: httpx.AsyncClient, name: str) -> None:
        payload = {"language": "python", "files": [{"name": name, "content": "print(1)"}]}
        body = assert_problem(await api.post("/v1/executions", json=payload), 422)
        assert body["errors"][0]["loc"][:2] == ["body", "files"]

    async def test_duplicate_file_names(self, api: httpx.AsyncClient) -> None:
        files = [{"name": "main.py", "content": "print(1)"}, {"name": "main.py", "content": "print(2)"}]
        body = assert_problem(await api.post("/v1/executions", json={"language": "python", "files": files}), 422)
        assert "duplicate" in body["errors"][0]["msg"]

    async def test_entry_not_among_files(self, api: httpx.AsyncClient) -> None:
        payload = {"language": "python", "files": [{"name": "a.py", "content": ""}], "entry": "b.py"}
        assert_problem(await api.post("/v1/executions", json=payload), 422)

    async def test_nul_in_source_and_args(self, api: httpx.AsyncClient) -> None:
        assert_problem(await api.post("/v1/executions", json={**GOOD, "source": "print(1)\x00"}), 422)
        assert_problem(await api.post("/v1/executions", json={**GOOD, "args": ["a\x00b"]}), 422)

    async def test_unavailable_version(self, api: httpx.AsyncClient) -> None:
        body = assert_problem(await api.post("/v1/executions", json={**GOOD, "version": "2.7"}), 422)
        assert body["errors"][0]["loc"] == ["body", "version"]

    async def test_compile_limits_for_an_interpreted_language(self, api: httpx.AsyncClient) -> None:
        payload = {**GOOD, "compile_limits": {"cpu_time_ms": 1000}}
        assert_problem(await api.post("/v1/executions", json=payload), 422)


async def test_unknown_execution_is_a_404_problem(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get("/v1/executions/01a21870-0000-7000-8000-000000000000"), 404)
    assert_problem(await api.get("/v1/executions/not-a-uuid"), 422)
    assert_problem(await api.get("/v1/no-such-route"), 404)
    assert_problem(await api.delete("/v1/languages"), 405)
