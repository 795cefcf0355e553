"""History: the caller's past executions (admins: everyone's), filtered, newest first, paginated."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway import paging
from services.gateway.auth.access import ExecutionsRead
from services.gateway.deps import CursorQuery, EncodingQuery, SessionDep, SettingsDep
from services.gateway.history import repository as repo
from services.gateway.history import service
from services.gateway.history.schemas import ExecutionPage, HistoryScope
from shared.executions import ExecutionStatus, Verdict
from shared.problems import documented_problem, problem_responses

router = APIRouter(prefix="/v1/executions", tags=["history"])

LANGUAGE_PATTERN = r"^[a-z0-9_+#.-]{1,32}$"
HISTORY_PAGE_MAX = 100


HISTORY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(422),
    401: documented_problem("Needs a signed-in user or an API key"),
    403: documented_problem("The API key lacks executions:read, or `scope=all` without the admin role"),
}

DESCRIPTION = """
The caller's executions, newest first (by creation time, then id), with full details: the same
objects as `GET /v1/executions/{id}`. `details=false` leaves out the captured output (`stdout` and
`stderr` are null) for lighter pages.

Pagination is by keyset: pass `next_cursor` back as `cursor` with the same filters. Executions
created while you page do not shift the pages (they are newer than every cursor), so no execution
is repeated or skipped. Times are ISO 8601; without an offset they are UTC.

Needs an account (`executions:read` for API keys). Administrators list everyone's executions with
`scope=all`, optionally one user's with `user_id`.
"""


@router.get(
    "",
    response_model=ExecutionPage,
    summary="List my executions (history)",
    description=DESCRIPTION,
    responses=HISTORY_RESPONSES,
)
async def list_executions(
    session: SessionDep,
    settings: SettingsDep,
    principal: ExecutionsRead,
    scope: Annotated[
        HistoryScope, Query(description="`mine`, or `all` (administrators): everyone's executions.")
    ] = HistoryScope.mine,
    user_id: Annotated[uuid.UUID | None, Query(description="With `scope=all`: only this user's executions.")] = None,
    language: Annotated[
        str | None, Query(pattern=LANGUAGE_PATTERN, description="A language id, e.g. `python`.", examples=["python"])
    ] = None,
    status: Annotated[ExecutionStatus | None, Query(description="Only executions in this state.")] = None,
    verdict: Annotated[Verdict | None, Query(description="Only finished executions with this verdict.")] = None,
    created_after: Annotated[
        datetime | None,
        Query(description="Created at or after this time (ISO 8601).", examples=["2026-11-01T00:00:00Z"]),
    ] = None,
    created_before: Annotated[
        datetime | None,
        Query(description="Created before this time (ISO 8601).", examples=["2026-12-01T00:00:00Z"]),
    ] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int | None, Query(ge=1, le=HISTORY_PAGE_MAX, description="Page size (20 by default).")] = None,
    details: Annotated[bool, Query(description="Include the captured output of each phase and case.")] = True,
    encoding: EncodingQuery = "text",
) -> ExecutionPage:
    owner = service.owner_filter(principal, scope, user_id)
    query = repo.HistoryQuery(
        user_id=owner,
        language=language,
        status=status.value if status else None,
        verdict=verdict.value if verdict else None,
        created_after=paging.as_utc(created_after, "created_after"),
        created_before=paging.as_utc(created_before, "created_before"),
        after=paging.decode_cursor(cursor) if cursor else None,
        limit=paging.page_size(limit, settings.history_page_default, HISTORY_PAGE_MAX),
    )
    return await service.page(session, query, with_output=details, encoding=encoding)
