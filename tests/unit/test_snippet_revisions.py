"""Which revision an update demands: the If-Match header (services/gateway/snippets/service.py),
and its precedence over the body's expected_revision."""

from __future__ import annotations

import uuid
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.snippets.schemas import SnippetUpdate
from services.gateway.snippets.service import etag, parse_if_match, update
from shared.db.models import Snippet
from shared.problems import ProblemError, ValidationProblem
from shared.settings import GatewaySettings


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        (None, None),
        ('"3"', 3),
        ("3", 3),
        ('W/"7"', 7),
        ('"x", "12"', 12),
        ("*", True),
        ('"2", *', True),
        (' "5" ', 5),
    ],
)
def test_if_match_names_a_revision(header: str | None, wanted: int | bool | None) -> None:
    assert parse_if_match(header) == wanted


@pytest.mark.parametrize("header", ["", '"abc"', '"-1"', '"1.5"', '"12345678901"', ",", 'W/"x"'])
def test_an_if_match_without_a_revision_is_refused(header: str) -> None:
    with pytest.raises(ValidationProblem) as refused:
        parse_if_match(header)
    assert refused.value.status == 422
    assert [e.loc for e in refused.value.errors or []] == [["header", "If-Match"]]


def test_the_etag_round_trips() -> None:
    snippet = Snippet(revision=4)
    assert parse_if_match(etag(snippet)) == 4


def conflict(header: str | None, expected_revision: int | None, revision: int = 3) -> ProblemError:
    """The 409 an update gets; conflicts are decided before anything touches the session."""
    snippet = Snippet(id=uuid.uuid4(), revision=revision)
    payload = SnippetUpdate(title="t", expected_revision=expected_revision)
    with pytest.raises(ProblemError) as refused:
        update(cast(AsyncSession, None), snippet, payload, header, GatewaySettings())
    return refused.value


@pytest.mark.parametrize(
    ("header", "expected_revision"),
    [
        (None, 2),  # the body alone
        ('"2"', None),  # the header alone
        ('"2"', 3),  # the header wins over a body that matches
        ("*", 2),  # `*` demands no revision: the body's applies
    ],
)
def test_a_stale_revision_conflicts(header: str | None, expected_revision: int | None) -> None:
    refused = conflict(header, expected_revision)
    assert refused.status == 409
    assert "revision 3" in str(refused)
