"""The SDK's analyses (``client.analyses``), async and blocking, against the served gateway and the
session's executor: lint with quick fixes, format, the cache, the tools list."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from coderunhub import AsyncClient, Client, NotFoundError


async def test_lint_format_and_the_cache(client: AsyncClient) -> None:
    source = f"# {secrets.token_hex(8)}\nimport os\nx = {{  'a':1 }}\n"
    result = await client.analyses.create("python", {"main.py": source}, checks=["lint", "format"])
    assert result.status == "ok"
    assert result.cached is False
    (unused,) = [d for d in result.diagnostics if d.code == "F401"]
    assert (unused.line, unused.column, unused.fixes[0].applicability) == (2, 8, "safe")
    assert result.formatted is not None
    assert result.formatted[0].changed is True
    again = await client.analyses.get(result.id)
    assert again is not None
    assert again.cached is True
    assert again.diagnostics == result.diagnostics
    with pytest.raises(NotFoundError):
        await client.analyses.get("0" * 64)
    tools = {analyser.language: analyser for analyser in await client.analyses.tools()}
    assert (tools["python"].available, [t.name for t in tools["python"].tools]) == (True, ["mypy", "ruff"])


async def test_the_blocking_client_and_unsupported_languages(url: str, api_key: str) -> None:
    def work() -> tuple[str, str]:
        with Client(url, api_key=api_key) as blocking:
            unsupported = blocking.analyses.create("rust", {"main.rs": "fn main() {}\n"})
            linted = blocking.analyses.create("python", {"main.py": f"# {secrets.token_hex(8)}\nprint(x)\n"})
            return str(unsupported.status), linted.diagnostics[0].code or ""

    assert await asyncio.to_thread(work) == ("unsupported", "F821")
