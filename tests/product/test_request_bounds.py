"""Request bounds: whatever arrives as a body (too big, too deep, not JSON, not UTF-8, absurd
numbers) is a clear problem+json 4xx, never a 500, and nothing is persisted or queued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.gateway.middleware import is_json_media_type, json_depth, longest_number, without_strings

JSON = {"content-type": "application/json"}


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if slug is not None:
        assert body["type"] == f"https://coderunhub.dev/problems/{slug}"
    return body


def nested(depth: int, leaf: str = '"x"') -> bytes:
    """A submission whose `args` are arrays nested ``depth`` deep in total (the body object counts)."""
    inner = "[" * (depth - 1) + leaf + "]" * (depth - 1)
    return ('{"language": "python", "source": "print(1)", "args": ' + inner + "}").encode()


class TestScanner:
    @pytest.mark.parametrize(
        ("body", "depth"),
        [
            (b"1", 0),
            (b"{}", 1),
            (b'{"a": [1, {"b": []}]}', 4),
            (b"[[],[[]],[]]", 3),
            (b'{"a": "[[[[{{{{"}', 1),  # brackets inside strings are text
            (b'{"a": "\\"[[[", "b": [[1]]}', 3),  # an escaped quote does not end the string
            (b"[[[[", 4),  # unbalanced still counts: the parser would recurse into it
            (b"[" * 100_000, 100_000),
        ],
    )
    def test_depth(self, body: bytes, depth: int) -> None:
        assert json_depth(without_strings(body)) == depth

    def test_numbers_inside_strings_are_not_numbers(self) -> None:
        assert longest_number(without_strings(b'{"a": "' + b"9" * 5000 + b'", "b": -12.5e+3}')) == len("-12.5e+3")

    @pytest.mark.parametrize(
        ("content_type", "ok"),
        [
            ("application/json", True),
            ("application/json; charset=utf-8", True),
            ("Application/JSON", True),
            ("application/merge-patch+json", True),
            ("text/plain", False),
            ("application/x-www-form-urlencoded", False),
            ("multipart/form-data; boundary=x", False),
            ("text/json", False),
        ],
    )
    def test_json_media_types(self, content_type: str, ok: bool) -> None:
        assert is_json_media_type(content_type) is ok


@pytest.mark.usefixtures("nothing_queued")
class TestBounds:
    async def test_nesting_at_the_limit_reaches_validation(self, api: httpx.AsyncClient) -> None:
        # 32 levels is allowed: the body is parsed and validated (args must be strings: 422).
        body = assert_problem(await api.post("/v1/executions", content=nested(32), headers=JSON), 422)
        assert body["errors"][0]["loc"][:2] == ["body", "args"]

    @pytest.mark.parametrize("depth", [33, 1_000, 200_000])
    async def test_nesting_past_the_limit_is_a_400(self, api: httpx.AsyncClient, depth: int) -> None:
        body = assert_problem(
            await api.post("/v1/executions", content=nested(depth), headers=JSON), 400, "json-too-deep"
        )
        assert "32" in body["detail"]

    async def test_deeply_nested_objects_and_unclosed_arrays(self, api: httpx.AsyncClient) -> None:
        objects = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
        assert_problem(await api.post("/v1/executions", content=objects, headers=JSON), 400, "json-too-deep")
        unclosed = b"[" * 500_000
        assert_problem(await api.post("/v1/executions", content=unclosed, headers=JSON), 400, "json-too-deep")

    async def test_other_json_routes_are_bounded_too(self, api: httpx.AsyncClient) -> None:
        deep = b'{"title": ' + b"[" * 100 + b"]" * 100 + b"}"
        assert_problem(await api.post("/v1/snippets", content=deep, headers=JSON), 400, "json-too-deep")

    @pytest.mark.parametrize(
        ("content_type", "content"),
        [
            ("text/plain", b'{"language": "python", "source": "print(1)"}'),
            ("application/x-www-form-urlencoded", b"language=python&source=print(1)"),
            (
                "multipart/form-data; boundary=b",
                b'--b\r\nContent-Disposition: form-data; name="language"\r\n\r\npython\r\n--b--\r\n',
            ),
            ("application/xml", b"<execution language='python'/>"),
        ],
    )
    async def test_wrong_content_type_is_a_415(self, api: httpx.AsyncClient, content_type: str, content: bytes) -> None:
        response = await api.post("/v1/executions", content=content, headers={"content-type": content_type})
        body = assert_problem(response, 415, "unsupported-media-type")
        assert content_type.split(";")[0] in body["detail"]

    @pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/problem+json"])
    async def test_json_variants_are_read_as_json(self, api: httpx.AsyncClient, content_type: str) -> None:
        payload = b'{"language": "klingon", "source": "print(1)"}'
        # Reached validation: the language is checked, so the body was read as JSON.
        response = await api.post("/v1/executions", content=payload, headers={"content-type": content_type})
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", "language"]

    async def test_a_body_without_content_type_is_a_415(self, api: httpx.AsyncClient) -> None:
        request = api.build_request("POST", "/v1/executions", content=b'{"language": "python", "source": "print(1)"}')
        assert "content-type" not in request.headers
        body = assert_problem(await api.send(request), 415, "unsupported-media-type")
        assert "no Content-Type" in body["detail"]

    @pytest.mark.parametrize(
        "content",
        [
            b'{"language": "python", "source": "print(\xff)"}',
            b'{"language": "python", "source": "\xed\xa0\x80"}',  # an encoded surrogate
            b"\xef\xbb\xbf\xff",
        ],
    )
    async def test_invalid_utf8_is_a_400(self, api: httpx.AsyncClient, content: bytes) -> None:
        body = assert_problem(await api.post("/v1/executions", content=content, headers=JSON), 400, "malformed-json")
        assert "UTF-8" in body["detail"]

    @pytest.mark.parametrize(
        "content", [b"{not json", b'{"language": "python",', b'{"language": "python"}}', b"[1, 2", b"\x00"]
    )
    async def test_malformed_json_is_a_400(self, api: httpx.AsyncClient, content: bytes) -> None:
        assert_problem(await api.post("/v1/executions", content=content, headers=JSON), 400, "malformed-json")

    async def test_an_empty_body_is_a_422(self, api: httpx.AsyncClient) -> None:
        assert_problem(await api.post("/v1/executions", content=b"", headers=JSON), 422, "validation-error")

    async def test_huge_integer_literal_is_a_400(self, api: httpx.AsyncClient) -> None:
        # Python refuses to convert integers of more than 4300 digits; that must not become a 500.
        content = b'{"language": "python", "source": "print(1)", "limits": {"cpu_time_ms": ' + b"9" * 5_000 + b"}}"
        body = assert_problem(
            await api.post("/v1/executions", content=content, headers=JSON), 400, "json-number-too-long"
        )
        assert "1000" in body["detail"]

    @pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 40, "1.5", "NaN", "Infinity"])
    async def test_out_of_range_numbers_are_a_422(self, api: httpx.AsyncClient, number: str) -> None:
        content = ('{"language": "python", "source": "print(1)", "limits": {"cpu_time_ms": ' + number + "}}").encode()
        body = assert_problem(await api.post("/v1/executions", content=content, headers=JSON), 422, "validation-error")
        assert body["errors"][0]["loc"] == ["body", "limits", "cpu_time_ms"]

    async def test_body_over_the_size_limit_is_a_413(self, api: httpx.AsyncClient) -> None:
        content = b'{"language": "python", "source": "' + b"x" * (3 << 20) + b'"}'
        body = assert_problem(await api.post("/v1/executions", content=content, headers=JSON), 413, "content-too-large")
        assert str(2 << 20) in body["detail"]

    async def test_chunked_body_over_the_size_limit_is_a_413(self, api: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"language": "python", "source": "'
            for _ in range(40):
                yield b"x" * 100_000
            yield b'"}'

        assert_problem(await api.post("/v1/executions", content=chunks(), headers=JSON), 413, "content-too-large")

    async def test_chunked_body_within_the_limit_is_read(self, api: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"language": "klingon", '
            yield b'"source": "print(1)"}'

        body = assert_problem(await api.post("/v1/executions", content=chunks(), headers=JSON), 422)
        assert body["errors"][0]["loc"] == ["body", "language"]

    async def test_gets_and_deletes_without_bodies_are_untouched(self, api: httpx.AsyncClient) -> None:
        assert (await api.get("/v1/languages")).status_code == 200
        assert_problem(await api.get("/v1/executions/01a21870-0000-7000-8000-000000000000"), 404, "not-found")

    async def test_only_the_api_routes_demand_json(self, api: httpx.AsyncClient) -> None:
        # Outside /v1/ (e.g. the development auth proxy) bodies are only size-bounded: the route answers.
        plain = {"content-type": "text/plain"}
        assert_problem(await api.post("/healthz", content=b"[" * 100, headers=plain), 405, "method-not-allowed")
        assert_problem(await api.post("/healthz", content=b"x" * (3 << 20), headers=plain), 413, "content-too-large")
