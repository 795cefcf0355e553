"""The gateway's one paging kit (services/gateway/paging.py): keyset cursors always in UTC, one
refusal for anything that is not a cursor it wrote, page sizes and splitting; and the one
field-error helper it refuses with (shared/problems.py)."""

from __future__ import annotations

import ast
import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.gateway import paging
from shared.problems import FieldError, ValidationProblem, field_error

ROOT = Path(__file__).resolve().parents[2]
ID = uuid.UUID("0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6")
PLUS_FIVE = timezone(timedelta(hours=5, minutes=30))


def raw_cursor(value: object) -> str:
    """A cursor-shaped string for any JSON value, written the way a client could forge one."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def assert_bad_cursor(cursor: str) -> None:
    with pytest.raises(ValidationProblem) as caught:
        paging.decode_cursor(cursor)
    problem = caught.value
    assert problem.status == 422
    assert problem.slug == "validation-error"
    assert problem.errors == [FieldError(loc=["query", "cursor"], msg=paging.BAD_CURSOR, type="value_error")]


# --- round trips -------------------------------------------------------------------------------


def test_round_trip_keeps_the_instant_to_the_microsecond() -> None:
    moment = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    cursor = paging.encode_cursor(moment, ID)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), cursor
    assert len(cursor) <= paging.MAX_CURSOR_LENGTH
    decoded = paging.decode_cursor(cursor)
    assert decoded == (moment, ID)
    assert decoded[0].utcoffset() == timedelta(0)


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    created, row_id = paging.decode_cursor(paging.encode_cursor(naive, ID))
    assert created == naive.replace(tzinfo=UTC)
    assert created.tzinfo is UTC
    assert row_id == ID


def test_another_zone_gives_the_same_cursor_as_its_utc_instant() -> None:
    local = datetime(2026, 1, 2, 3, 4, 5, tzinfo=PLUS_FIVE)
    cursor = paging.encode_cursor(local, ID)
    assert cursor == paging.encode_cursor(local.astimezone(UTC), ID)
    created, _ = paging.decode_cursor(cursor)
    assert created == local
    assert created.tzinfo is UTC
    assert (created.hour, created.minute) == (21, 34)


def test_a_forged_cursor_in_another_zone_decodes_to_utc() -> None:
    created, row_id = paging.decode_cursor(raw_cursor(["2026-01-02T03:04:05-08:00", str(ID)]))
    assert created == datetime(2026, 1, 2, 11, 4, 5, tzinfo=UTC)
    assert created.tzinfo is UTC
    assert row_id == ID


# --- the one refusal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "!!",
        "a b",
        "W10=",  # padding is never written
        "A",  # a length base64 cannot have
        raw_cursor([]),
        raw_cursor({"created_at": "2026-01-02T03:04:05+00:00", "id": str(ID)}),
        raw_cursor(["2026-01-02T03:04:05+00:00"]),
        raw_cursor(["2026-01-02T03:04:05+00:00", str(ID), "extra"]),
        raw_cursor([1767322045, str(ID)]),
        raw_cursor(["2026-01-02T03:04:05+00:00", 42]),
        raw_cursor(["yesterday", str(ID)]),
        raw_cursor(["2026-01-02T03:04:05+00:00", "not-a-uuid"]),
        raw_cursor(["2026-01-02T03:04:05", str(ID)]),  # naive: not written by the kit
        raw_cursor(["0001-01-01T00:00:00+05:00", str(ID)]),  # before year 1 in UTC
        raw_cursor(["9999-12-31T23:00:00-05:00", str(ID)]),  # after year 9999 in UTC
        base64.urlsafe_b64encode(b"\xff\xfe[]").decode().rstrip("="),  # not UTF-8
    ],
)
def test_anything_else_is_the_one_422(cursor: str) -> None:
    assert_bad_cursor(cursor)


def test_oversized_cursors_are_refused_before_decoding() -> None:
    # Well-formed JSON of a valid position, padded with spaces past the limit.
    padded = base64.urlsafe_b64encode(b" " * 150 + json.dumps(["2026-01-02T00:00:00+00:00", str(ID)]).encode())
    oversized = padded.decode().rstrip("=")
    assert len(oversized) > paging.MAX_CURSOR_LENGTH
    assert_bad_cursor(oversized)
    assert_bad_cursor("A" * (paging.MAX_CURSOR_LENGTH + 1))


def test_tampered_cursors_are_refused() -> None:
    cursor = paging.encode_cursor(datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC), ID)
    assert_bad_cursor(cursor[:-4])  # cut: the JSON no longer closes
    assert_bad_cursor("A" + cursor[1:])  # the opening bracket is gone
    assert_bad_cursor(cursor + "=")
    assert_bad_cursor(cursor[:10] + "." + cursor[11:])


# --- query times -------------------------------------------------------------------------------


def test_query_times_are_utc() -> None:
    naive = datetime(2026, 3, 4, 5, 6, 7)
    assert paging.as_utc(None, "since") is None
    assert paging.utc(naive, "since") == naive.replace(tzinfo=UTC)
    local = datetime(2026, 3, 4, 5, 6, 7, tzinfo=PLUS_FIVE)
    converted = paging.utc(local, "since")
    assert converted == local
    assert converted.tzinfo is UTC
    assert paging.as_utc(local, "since") == converted


def test_a_query_time_with_no_utc_equivalent_is_a_422_on_its_name() -> None:
    with pytest.raises(ValidationProblem) as caught:
        paging.as_utc(datetime(1, 1, 1, tzinfo=PLUS_FIVE), "created_after")
    assert caught.value.status == 422
    assert caught.value.errors == [FieldError(loc=["query", "created_after"], msg="out of range", type="value_error")]


# --- page sizes and splitting ------------------------------------------------------------------


def test_page_size_defaults_and_caps() -> None:
    assert paging.page_size(None, 20, 100) == 20
    assert paging.page_size(7, 20, 100) == 7
    assert paging.page_size(100, 20, 100) == 100
    assert paging.page_size(500, 20, 100) == 100


@dataclass
class Row:
    created_at: datetime
    id: uuid.UUID


def rows(count: int) -> list[Row]:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    return [Row(start - timedelta(minutes=n), uuid.UUID(int=n + 1)) for n in range(count)]


def test_a_short_result_is_the_last_page() -> None:
    fetched = rows(3)
    assert paging.split_page(fetched, 3) == (fetched, None)
    assert paging.split_page([], 3) == ([], None)


def test_one_row_more_than_the_limit_means_a_next_page_after_the_last_item() -> None:
    fetched = rows(4)
    items, next_cursor = paging.split_page(fetched, 3)
    assert list(items) == fetched[:3]
    assert next_cursor is not None
    assert paging.decode_cursor(next_cursor) == (fetched[2].created_at, fetched[2].id)


# --- the field-error helper --------------------------------------------------------------------


def test_field_errors_are_located_like_fastapis() -> None:
    assert field_error(["files", 0, "name"], "bad") == FieldError(
        loc=["body", "files", 0, "name"], msg="bad", type="value_error"
    )
    problem = ValidationProblem.for_field(["If-Match"], "expected an ETag", "etag", source="header")
    assert problem.status == 422
    assert problem.errors == [FieldError(loc=["header", "If-Match"], msg="expected an ETag", type="etag")]
    assert problem.detail == "header.If-Match: expected an ETag"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_analytics_does_not_depend_on_history() -> None:
    for path in (ROOT / "services" / "gateway" / "analytics").rglob("*.py"):
        assert not any(m.startswith("services.gateway.history") for m in _imports(path)), path
