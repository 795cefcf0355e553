"""A session document's size limits (services/gateway/collab/documents.Bounds) and a socket's
message pace (collab/pacing.py): what is refused is never applied, whichever path checked it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from services.gateway.collab.documents import FILES, Bounds, TooLarge, file_contents, seed_update
from services.gateway.collab.pacing import Pace
from tests.conftest import gateway_settings


def fresh(**limits: Any) -> tuple[Doc[Any], Bounds]:
    doc: Doc[Any] = Doc()
    doc.apply_update(seed_update("python", [{"name": "main.py", "content": "x = 1\n"}]))
    bounds = Bounds(gateway_settings(**limits))
    bounds.measure(doc)
    return doc, bounds


def edit(doc: Doc[Any], change: Any) -> bytes:
    """The update a client whose copy is ``doc`` sends for ``change(copy)``."""
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    updates: list[bytes] = []
    copy.observe(lambda event: updates.append(event.update))
    change(copy)
    [update] = updates
    return update


def typed(text: str, at: int = 0) -> Any:
    def change(copy: Doc[Any]) -> None:
        target = copy.get(FILES, type=Map)["main.py"]
        assert isinstance(target, Text)
        target.insert(at, text)

    return change


def test_text_within_the_limit_is_applied_and_past_it_refused() -> None:
    doc, bounds = fresh(max_source_bytes=64)
    bounds.apply(doc, edit(doc, typed("y = 2\n")))
    assert file_contents(doc) == {"main.py": "y = 2\nx = 1\n"}
    with pytest.raises(TooLarge) as refused:
        bounds.apply(doc, edit(doc, typed("z" * 60)))
    assert refused.value.code == "text-too-large"
    assert file_contents(doc) == {"main.py": "y = 2\nx = 1\n"}
    # Right up to the limit is fine (52 bytes of the 64 left).
    bounds.apply(doc, edit(doc, typed("é" * 26)))
    assert len("".join(file_contents(doc).values()).encode()) == 64


def test_files_past_the_limit_are_refused() -> None:
    doc, bounds = fresh(max_files=3)

    def add(*names: str) -> Any:
        def change(copy: Doc[Any]) -> None:
            with copy.transaction():
                for name in names:
                    copy.get(FILES, type=Map)[name] = Text("")

        return change

    bounds.apply(doc, edit(doc, add("a.py", "b.py")))
    with pytest.raises(TooLarge) as refused:
        bounds.apply(doc, edit(doc, add("c.py")))
    assert refused.value.code == "too-many-files"
    assert sorted(file_contents(doc)) == ["a.py", "b.py", "main.py"]


def deleted(start: int, stop: int) -> Any:
    def change(copy: Doc[Any]) -> None:
        target = copy.get(FILES, type=Map)["main.py"]
        assert isinstance(target, Text)
        del target[start:stop]

    return change


def test_tombstones_count_against_the_encoded_state() -> None:
    # Text typed and deleted by many clients leaves structs behind: the text stays tiny while the
    # encoded state grows, until the state limit refuses the next edit.
    doc, bounds = fresh(collab_max_state_bytes=2048)

    def churn() -> None:
        for _ in range(400):
            bounds.apply(doc, edit(doc, typed("ab", at=3)))
            bounds.apply(doc, edit(doc, deleted(3, 5)))

    with pytest.raises(TooLarge) as refused:
        churn()
    assert refused.value.code == "document-too-large"
    assert len(doc.get_update()) <= 2048
    assert len(file_contents(doc)["main.py"]) <= len("x = 1\n") + 2


async def test_a_socket_is_read_no_faster_than_its_pace() -> None:
    pace = Pace(200.0)
    start = time.monotonic()
    for _ in range(400):
        await pace.take()
    # A burst of twice the rate goes at once; what follows, at the rate.
    assert time.monotonic() - start < 0.2
    for _ in range(100):
        await pace.take()
    assert time.monotonic() - start >= 0.45
