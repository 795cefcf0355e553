"""Snippets: saved, versioned, shareable programs that can be forked and run."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import paging
from services.gateway.analyses.metrics import queue_snippet_metrics
from services.gateway.auth.access import SnippetsRead, SnippetsReadOpen, SnippetsRun, SnippetsWrite
from services.gateway.auth.principal import Principal
from services.gateway.deps import CursorQuery, EncodingQuery, SessionDep, SettingsDep, StateDep
from services.gateway.executions import service as executions_service
from services.gateway.executions import submission
from services.gateway.executions.queueing import versions_or_empty
from services.gateway.executions.schemas import ExecutionOut
from services.gateway.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyDep
from services.gateway.ratelimit.wiring import AdmittedExecution
from services.gateway.snippets import repository as repo
from services.gateway.snippets import service
from services.gateway.snippets.schemas import (
    RevisionOut,
    RevisionSummary,
    SnippetCreate,
    SnippetOut,
    SnippetPage,
    SnippetRun,
    SnippetSummary,
    SnippetUpdate,
    Visibility,
)
from services.gateway.state import GatewayState
from shared.db.models import CodeMetric, Snippet
from shared.problems import PROBLEM_RESPONSES, documented_problem

router = APIRouter(prefix="/v1/snippets", tags=["snippets"])

INT4_MAX = 2**31 - 1


ACCOUNT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: documented_problem("Needs a signed-in user or an API key"),
    403: documented_problem("The API key lacks the needed scope, or the caller does not own the snippet"),
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: documented_problem("The API key lacks snippets:read"),
}

_HEADER_DOCS: dict[str, Any] = {
    "Location": {"description": "The new snippet's URL.", "schema": {"type": "string"}},
    "ETag": {"description": 'The revision number, e.g. `"1"`, for `If-Match`.', "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string"},
    },
}
CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "The saved snippet", "headers": _HEADER_DOCS}}
ETAG = {"ETag": _HEADER_DOCS["ETag"]}

SnippetId = Annotated[uuid.UUID, Path(description="The snippet's id.")]
TitleQuery = Annotated[str | None, Query(max_length=200, description="Part of the title (case-insensitive).")]
LanguageQuery = Annotated[str | None, Query(max_length=32, description="A language id.")]
PageSizeQuery = Annotated[int | None, Query(ge=1, description="Page size (capped by the server, 100 by default).")]
ShareToken = Annotated[
    str, Path(pattern=service.SHARE_TOKEN_PATTERN, description="The token of the snippet's share link.")
]
RevisionQuery = Annotated[
    int | None, Query(ge=1, le=INT4_MAX, description="A revision number; the current one when omitted.")
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Refuse the update (409) unless the snippet is still at this revision (its ETag, e.g. `"3"`).',
    ),
]


def _out(snippet: Snippet, principal: Principal, response: Response, metrics: CodeMetric | None = None) -> SnippetOut:
    response.headers["ETag"] = service.etag(snippet)
    return SnippetOut.build(snippet, owner_view=service.is_owner(principal, snippet), metrics=metrics)


async def _read_out(session: AsyncSession, snippet: Snippet, principal: Principal, response: Response) -> SnippetOut:
    """With the current revision's metrics, where computed."""
    metrics = (await repo.current_metrics(session, [snippet])).get(snippet.id)
    return _out(snippet, principal, response, metrics)


async def _measure(state: GatewayState, snippet: Snippet) -> None:
    """After the commit that saved a revision: its metrics are computed and stored by an executor
    (services/gateway/analyses/metrics.py); the answer does not wait for them, nor fail without."""
    await queue_snippet_metrics(
        state, snippet_id=snippet.id, revision=snippet.revision, language=snippet.language, files=snippet.files
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SnippetOut,
    summary="Save a snippet",
    description="Creates a snippet (revision 1) owned by the caller. Needs an account (`snippets:write` for keys).",
    responses={**CREATED, **ACCOUNT_RESPONSES, **IDEMPOTENCY_RESPONSES},
)
async def create_snippet(
    payload: SnippetCreate,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    response: Response,
    idempotency: IdempotencyDep,
) -> SnippetOut | Response:
    assert principal.user_id is not None
    if (replay := await idempotency.begin()) is not None:
        return replay
    snippet = service.create(session, principal.user_id, payload, state.settings)
    await session.commit()
    await _measure(state, snippet)
    response.headers["Location"] = f"/v1/snippets/{snippet.id}"
    return await idempotency.done(_out(snippet, principal, response), response)


@router.get(
    "",
    response_model=SnippetPage,
    summary="List my snippets",
    description="Newest first, with cursor pagination. `q` searches titles (case-insensitive substring).",
    responses=ACCOUNT_RESPONSES,
)
async def list_my_snippets(
    session: SessionDep,
    settings: SettingsDep,
    principal: SnippetsRead,
    q: TitleQuery = None,
    language: LanguageQuery = None,
    visibility: Annotated[Visibility | None, Query(description="Only snippets with this visibility.")] = None,
    cursor: CursorQuery = None,
    limit: PageSizeQuery = None,
) -> SnippetPage:
    query = service.page_query(settings, q=q, language=language, visibility=visibility, cursor=cursor, limit=limit)
    rows, next_cursor = paging.split_page(await repo.page(session, query, owner_id=principal.user_id), query.limit)
    metrics = await repo.current_metrics(session, rows)
    items = [SnippetSummary.summary(s, owner_view=True, metrics=metrics.get(s.id)) for s in rows]
    return SnippetPage(items=items, next_cursor=next_cursor)


@router.get(
    "/public",
    response_model=SnippetPage,
    summary="List public snippets",
    description="Everyone's public snippets, newest first, with cursor pagination. Open to anonymous callers.",
    responses=READ_RESPONSES,
)
async def list_public_snippets(
    session: SessionDep,
    settings: SettingsDep,
    principal: SnippetsReadOpen,
    q: TitleQuery = None,
    language: LanguageQuery = None,
    cursor: CursorQuery = None,
    limit: PageSizeQuery = None,
) -> SnippetPage:
    query = service.page_query(settings, q=q, language=language, visibility=None, cursor=cursor, limit=limit)
    rows, next_cursor = paging.split_page(await repo.page(session, query, owner_id=None), query.limit)
    metrics = await repo.current_metrics(session, rows)
    items = [
        SnippetSummary.summary(s, owner_view=service.is_owner(principal, s), metrics=metrics.get(s.id)) for s in rows
    ]
    return SnippetPage(items=items, next_cursor=next_cursor)


@router.get(
    "/shared/{token}",
    response_model=SnippetOut,
    summary="Open a share link",
    description="Reads an unlisted (or public) snippet through its share link; open to anonymous callers.",
    responses=READ_RESPONSES,
)
async def get_shared_snippet(
    token: ShareToken, session: SessionDep, principal: SnippetsReadOpen, response: Response
) -> SnippetOut:
    return await _read_out(session, await service.shared(session, token), principal, response)


@router.post(
    "/shared/{token}/fork",
    status_code=status.HTTP_201_CREATED,
    response_model=SnippetOut,
    summary="Fork a snippet through its share link",
    responses={**CREATED, **ACCOUNT_RESPONSES},
)
async def fork_shared_snippet(
    token: ShareToken, session: SessionDep, state: StateDep, principal: SnippetsWrite, response: Response
) -> SnippetOut:
    assert principal.user_id is not None
    origin = await service.shared(session, token, key_share=True)
    return await _fork(session, state, origin, principal, None, response)


@router.get(
    "/{snippet_id}",
    response_model=SnippetOut,
    summary="Get a snippet",
    description="Owners and admins can read any of theirs; others only public snippets (unlisted ones only "
    "through the share link). The `ETag` is the revision number, for `If-Match` on updates.",
    responses={200: {"description": "The snippet", "headers": ETAG}, **READ_RESPONSES},
)
async def get_snippet(
    snippet_id: SnippetId, session: SessionDep, principal: SnippetsReadOpen, response: Response
) -> SnippetOut:
    return await _read_out(session, await service.readable(session, principal, snippet_id), principal, response)


@router.patch(
    "/{snippet_id}",
    response_model=SnippetOut,
    summary="Update a snippet",
    description="Changes the given fields. A change of title, description, language or files saves a new "
    "revision; a visibility change alone does not. `If-Match` (or `expected_revision`) refuses lost updates.",
    responses={**ACCOUNT_RESPONSES, 409: documented_problem("The snippet changed since the given revision")},
)
async def update_snippet(
    snippet_id: SnippetId,
    payload: SnippetUpdate,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> SnippetOut:
    snippet = await service.owned(session, principal, snippet_id)
    service.update(session, snippet, payload, if_match, state.settings)
    await session.commit()
    if payload.changes_content:
        # A new revision (a title change too: the metrics come from the cache then).
        await _measure(state, snippet)
        return _out(snippet, principal, response)
    return await _read_out(session, snippet, principal, response)


@router.delete(
    "/{snippet_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a snippet",
    description="Deletes the snippet and its revisions. Its forks stay (their `forked_from` becomes null).",
    responses=ACCOUNT_RESPONSES,
)
async def delete_snippet(snippet_id: SnippetId, session: SessionDep, principal: SnippetsWrite) -> Response:
    snippet = await service.owned(session, principal, snippet_id)
    await repo.remove(session, snippet.id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{snippet_id}/revisions",
    response_model=list[RevisionSummary],
    summary="List a snippet's revisions",
    description="Oldest first; each save is one revision.",
    responses=READ_RESPONSES,
)
async def list_revisions(
    snippet_id: SnippetId, session: SessionDep, principal: SnippetsReadOpen
) -> list[RevisionSummary]:
    snippet = await service.readable(session, principal, snippet_id)
    return [
        RevisionSummary(number=r.number, title=r.title, language=r.language, created_at=r.created_at)
        for r in await repo.revisions(session, snippet.id)
    ]


@router.get(
    "/{snippet_id}/revisions/{number}",
    response_model=RevisionOut,
    summary="Get one revision of a snippet",
    responses=READ_RESPONSES,
)
async def get_revision(
    snippet_id: SnippetId,
    number: Annotated[int, Path(ge=1, le=INT4_MAX, description="Revision number, from 1.")],
    session: SessionDep,
    principal: SnippetsReadOpen,
) -> RevisionOut:
    snippet = await service.readable(session, principal, snippet_id)
    return RevisionOut.build(await service.revision_of(session, snippet, number))


@router.post(
    "/{snippet_id}/fork",
    status_code=status.HTTP_201_CREATED,
    response_model=SnippetOut,
    summary="Fork a snippet",
    description="Copies a snippet the caller can see (its current revision, or `revision`) into a new private "
    "snippet owned by the caller; `forked_from` records the origin.",
    responses={**CREATED, **ACCOUNT_RESPONSES},
)
async def fork_snippet(
    snippet_id: SnippetId,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    response: Response,
    revision: RevisionQuery = None,
) -> SnippetOut:
    origin = await service.readable(session, principal, snippet_id, key_share=True)
    return await _fork(session, state, origin, principal, revision, response)


async def _fork(
    session: AsyncSession,
    state: GatewayState,
    origin: Snippet,
    principal: Principal,
    revision: int | None,
    response: Response,
) -> SnippetOut:
    assert principal.user_id is not None
    snippet = await service.fork(session, origin, principal.user_id, revision)
    await session.commit()
    await _measure(state, snippet)
    response.headers["Location"] = f"/v1/snippets/{snippet.id}"
    return _out(snippet, principal, response)


@router.post(
    "/{snippet_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExecutionOut,
    summary="Run a snippet",
    description="Creates an execution of the snippet's files (current revision, or `revision`) and answers "
    "like POST /v1/executions: 202 with the execution, or with `wait=true` 200 with the finished result. "
    "Needs `snippets:read` and `executions:write` for API keys.",
    responses={
        200: {"model": ExecutionOut, "description": "Finished result (`wait=true`)"},
        **ACCOUNT_RESPONSES,
        **IDEMPOTENCY_RESPONSES,
    },
)
async def run_snippet(
    snippet_id: SnippetId,
    state: StateDep,
    reservation: AdmittedExecution,
    session: SessionDep,
    principal: SnippetsRun,
    response: Response,
    idempotency: IdempotencyDep,
    payload: SnippetRun | None = None,
    revision: RevisionQuery = None,
    wait: Annotated[bool, Query(description="Answer with the finished result.")] = False,
    encoding: EncodingQuery = "text",
) -> ExecutionOut | Response:
    if (replay := await idempotency.begin()) is not None:
        return replay
    snippet = await service.readable(session, principal, snippet_id, key_share=True)
    request = await service.run_payload(session, snippet, payload or SnippetRun(), revision)
    execution = await executions_service.prepare_execution(
        request, state.settings, await versions_or_empty(state), user_id=principal.user_id
    )
    execution.snippet_id = snippet.id
    return await submission.submit(
        state, session, execution, response, idempotency, reservation, wait=wait, encoding=encoding
    )
