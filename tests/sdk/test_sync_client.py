"""The blocking Client: the same calls as AsyncClient, each made on a worker thread here (the
gateway under test is served by this test's event loop, which must keep running)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from coderunhub import Client, Event, ExecutionOut, NotFoundError, OutputEvent, ResultEvent, ValidationError


@dataclass
class Seen:
    result: ExecutionOut
    events: list[Event]
    ran: ExecutionOut
    interactive: list[OutputEvent]
    history: list[uuid.UUID]


def _session(url: str, api_key: str) -> Seen:
    with Client(url, api_key=api_key) as crh:
        result = crh.run("python", "print(input() * 2)", stdin="ab")
        queued = crh.submit("python", "for i in range(3):\n    print(i, flush=True)")
        events = list(crh.stream(queued))
        with pytest.raises(ValidationError):
            crh.run("no-such-language", "")
        with pytest.raises(NotFoundError):
            crh.snippets.get("01a21870-0000-7000-8000-000000000000")
        snippet = crh.snippets.create("sync", "python", {"main.py": "print('snippet')"})
        ran = crh.snippets.run(snippet)
        with crh.interactive("python", "print(input().upper())") as session:
            session.send("quiet\n")
            session.eof()
            interactive = [event for event in session if isinstance(event, OutputEvent)]
        history = [item.id for item in crh.history(page_size=2)]
        return Seen(result, events, ran, interactive, history)


async def test_blocking_client_does_what_the_async_one_does(url: str, api_key: str) -> None:
    seen = await asyncio.wait_for(asyncio.to_thread(_session, url, api_key), 300)
    assert seen.result.verdict == "ok"
    assert seen.result.run is not None
    assert seen.result.run.stdout == "abab\n"
    assert isinstance(seen.events[-1], ResultEvent)
    assert "".join(e.data for e in seen.events if isinstance(e, OutputEvent)) == "0\n1\n2\n"
    assert seen.ran.run is not None
    assert seen.ran.run.stdout == "snippet\n"
    assert "".join(e.data for e in seen.interactive) == "QUIET\n"
    assert seen.result.id in seen.history
