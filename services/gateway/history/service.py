"""History rules: who may list whose executions, time bounds, cursors, and building the page."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.principal import Principal
from services.gateway.executions.schemas import ExecutionOut, OutputEncoding
from services.gateway.history import repository as repo
from services.gateway.history.schemas import ExecutionPage, HistoryScope
from shared.db.models import Execution
from shared.db.records import execution_record
from shared.executions import CaseRecord, PhaseRecord
from shared.problems import FieldError, ProblemError, ValidationProblem


def invalid(name: str, msg: str) -> ValidationProblem:
    return ValidationProblem([FieldError(loc=["query", name], msg=msg, type="value_error")])


def as_utc(value: datetime | None, name: str) -> datetime | None:
    """An ISO 8601 query time as an aware UTC datetime (naive times are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise invalid(name, "out of range") from exc


def owner_filter(principal: Principal, scope: HistoryScope, user_id: uuid.UUID | None) -> uuid.UUID | None:
    """Whose executions the caller lists: their own, or (admins, scope=all) everyone's or one user's."""
    if scope is HistoryScope.all:
        if not principal.is_admin:
            raise ProblemError(403, "forbidden", "Forbidden", "Only administrators may list everyone's executions.")
        return user_id
    if user_id is not None:
        raise invalid("user_id", "only with scope=all")
    assert principal.user_id is not None
    return principal.user_id


# --- cursors ----------------------------------------------------------------------------------

_CURSOR_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def encode_cursor(execution: Execution) -> str:
    raw = json.dumps([execution.created_at.isoformat(), str(execution.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        if not _CURSOR_CHARS.match(cursor):
            raise ValueError(cursor)
        created, execution_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError(created)
        return moment.astimezone(UTC), uuid.UUID(execution_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise invalid("cursor", "not a cursor returned by this API") from exc


# --- pages ------------------------------------------------------------------------------------


async def page(
    session: AsyncSession, query: repo.HistoryQuery, *, with_output: bool, encoding: OutputEncoding
) -> ExecutionPage:
    rows = await repo.page(session, query)
    items, next_cursor = rows[: query.limit], None
    if len(rows) > query.limit:
        next_cursor = encode_cursor(items[-1])
    return ExecutionPage(items=await _details(session, items, with_output, encoding), next_cursor=next_cursor)


async def _details(
    session: AsyncSession, executions: Sequence[Execution], with_output: bool, encoding: OutputEncoding
) -> list[ExecutionOut]:
    if not executions:
        return []
    ids = [execution.id for execution in executions]
    phases: defaultdict[uuid.UUID, list[PhaseRecord]] = defaultdict(list)
    for row in await repo.phases(session, ids, with_output=with_output):
        phases[row["execution_id"]].append(PhaseRecord.model_validate(dict(row)))
    tests: defaultdict[uuid.UUID, list[CaseRecord]] = defaultdict(list)
    judged = [execution.id for execution in executions if execution.test_cases]
    if judged:
        for row in await repo.test_results(session, judged, with_output=with_output):
            tests[row["execution_id"]].append(CaseRecord.model_validate(dict(row)))
    items = []
    for execution in executions:
        record = execution_record(execution, ()).model_copy(
            update={"phases": phases[execution.id], "tests": tests[execution.id]}
        )
        items.append(ExecutionOut.build(record, encoding, with_output))
    return items
