"""The SDK's code metrics, async and blocking: a snippet's, computed by the session's executor after
each save (``client.snippets.metrics``), and the `metrics` check of ``client.analyses``."""

from __future__ import annotations

import asyncio
import secrets

from coderunhub import AsyncClient, Client

THREE_IFS = """def sign(n):
    if n < 0:
        return -1
    if n == 0:
        return 0
    if n > 0:
        return 1
"""


async def test_a_snippets_metrics_follow_its_revisions(client: AsyncClient) -> None:
    snippet = await client.snippets.create("Sign", "python", {"main.py": f"# {secrets.token_hex(8)}\n{THREE_IFS}"})
    metrics = await client.snippets.metrics(snippet, timeout_s=60)
    assert metrics is not None
    assert (metrics.revision, metrics.functions, metrics.ccn_max, metrics.lines) == (1, 1, 4, 8)
    updated = await client.snippets.update(snippet, files={"main.py": "print(1)\n"})
    assert updated.metrics is None
    again = await client.snippets.metrics(updated, timeout_s=60)
    assert again is not None
    assert (again.revision, again.functions, again.ccn_max, again.lines) == (2, 0, None, 1)

    result = await client.analyses.create("go", {"main.go": "package main\n\nfunc main() {}\n"}, checks=["metrics"])
    assert result.metrics is not None
    assert [(f.name, f.ccn) for f in result.metrics.functions] == [("main", 1)]


async def test_the_blocking_client_waits_for_metrics(url: str, api_key: str) -> None:
    def work() -> tuple[int | None, int | None]:
        with Client(url, api_key=api_key) as blocking:
            snippet = blocking.snippets.create("Sign", "python", {"main.py": f"# {secrets.token_hex(8)}\n{THREE_IFS}"})
            metrics = blocking.snippets.metrics(snippet.id, timeout_s=60)
            assert metrics is not None
            return metrics.functions, metrics.ccn_max

    assert await asyncio.to_thread(work) == (1, 4)
