"""Snippet rules: validation, who may see and change what, revisions, forks, cursors, runs.

Nothing here commits; the endpoints own that boundary.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import paging
from services.gateway.auth.principal import Principal
from services.gateway.executions.schemas import ExecutionCreate, FileIn
from services.gateway.executions.service import file_name_problem
from services.gateway.snippets import repository as repo
from services.gateway.snippets.schemas import SnippetCreate, SnippetRun, SnippetUpdate
from shared.db.models import Snippet, SnippetRevision
from shared.ids import new_id
from shared.languages import LANGUAGES
from shared.problems import FieldError, NotFoundProblem, ProblemError, ValidationProblem, field_error
from shared.settings import GatewaySettings

SHARE_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # noqa: S105  (a pattern, not a secret)


def _text_problem(text: str) -> str | None:
    """PostgreSQL text and JSONB take neither NUL characters nor lone surrogates."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def check_content(
    settings: GatewaySettings,
    *,
    title: str | None,
    description: str | None,
    language: str | None,
    files: Sequence[FileIn] | None,
) -> None:
    """The given fields of a snippet, checked as an execution's would be (names, sizes, language)."""
    errors: list[FieldError] = []
    for name, text in (("title", title), ("description", description)):
        if text is not None and (problem := _text_problem(text)):
            errors.append(field_error([name], problem))
    if language is not None and language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        errors.append(field_error(["language"], f"unknown language; known: {known}", "unknown_language"))
    size = 0
    if files is not None:
        if len(files) > settings.max_files:
            errors.append(field_error(["files"], f"at most {settings.max_files} files are allowed"))
        seen: set[str] = set()
        for index, file in enumerate(files):
            if problem := file_name_problem(file.name):
                errors.append(field_error(["files", index, "name"], problem))
            elif file.name in seen:
                errors.append(field_error(["files", index, "name"], f"duplicate file name {file.name!r}"))
            seen.add(file.name)
            if file.encoding not in (None, "text"):
                # Snippets are code people read and edit; binary inputs go with an execution.
                errors.append(field_error(["files", index, "encoding"], "snippet files must be text"))
            elif problem := _text_problem(file.content):
                errors.append(field_error(["files", index, "content"], problem))
            else:
                size += len(file.content.encode())
    if errors:
        raise ValidationProblem(errors)
    if size > settings.max_source_bytes:
        raise ProblemError(
            413,
            "content-too-large",
            "Content too large",
            f"the files are {size} bytes; at most {settings.max_source_bytes} are accepted",
        )


def _files(files: Sequence[FileIn]) -> list[dict[str, str]]:
    return [{"name": f.name, "content": f.content} for f in files]


def _revision_of(snippet: Snippet, created_at: datetime) -> SnippetRevision:
    return SnippetRevision(
        snippet_id=snippet.id,
        number=snippet.revision,
        title=snippet.title,
        description=snippet.description,
        language=snippet.language,
        files=list(snippet.files),
        created_at=created_at,
    )


def create(session: AsyncSession, owner_id: uuid.UUID, payload: SnippetCreate, settings: GatewaySettings) -> Snippet:
    check_content(
        settings, title=payload.title, description=payload.description, language=payload.language, files=payload.files
    )
    now = datetime.now(UTC)
    snippet = Snippet(
        id=new_id(),
        owner_id=owner_id,
        title=payload.title,
        description=payload.description,
        language=payload.language,
        files=_files(payload.files),
        visibility=payload.visibility,
        share_token=secrets.token_urlsafe(16),
        revision=1,
        created_at=now,
        updated_at=now,
    )
    return _save_new(session, snippet, now)


def _save_new(session: AsyncSession, snippet: Snippet, now: datetime) -> Snippet:
    repo.add(session, snippet, _revision_of(snippet, now))
    return snippet


# --- who may see what -------------------------------------------------------------------------


def may_read(principal: Principal, snippet: Snippet) -> bool:
    """By id: owners and admins always; everyone else only public snippets (unlisted ones need the link)."""
    return snippet.visibility == "public" or is_owner(principal, snippet) or principal.is_admin


def is_owner(principal: Principal, snippet: Snippet) -> bool:
    return principal.user_id is not None and principal.user_id == snippet.owner_id


async def readable(
    session: AsyncSession,
    principal: Principal,
    snippet_id: uuid.UUID,
    *,
    for_update: bool = False,
    key_share: bool = False,
) -> Snippet:
    snippet = await repo.get(session, snippet_id, for_update=for_update, key_share=key_share)
    # Someone else's private snippet does not exist, as far as this caller can tell.
    if snippet is None or not may_read(principal, snippet):
        raise NotFoundProblem(f"Snippet {snippet_id}")
    return snippet


async def owned(session: AsyncSession, principal: Principal, snippet_id: uuid.UUID) -> Snippet:
    """For changes: a snippet the caller cannot see is a 404; one it can see but does not own, a 403."""
    snippet = await readable(session, principal, snippet_id, for_update=True)
    if not is_owner(principal, snippet):
        raise ProblemError(403, "not-owner", "Not the owner", "Only the snippet's owner may change or delete it.")
    return snippet


async def shared(session: AsyncSession, token: str, *, key_share: bool = False) -> Snippet:
    snippet = await repo.by_share_token(session, token, key_share=key_share)
    # The link stops working once the owner makes the snippet private.
    if snippet is None or snippet.visibility == "private":
        raise NotFoundProblem("Shared snippet")
    return snippet


# --- changes ----------------------------------------------------------------------------------


def parse_if_match(header: str | None) -> int | bool | None:
    """The revision an If-Match header demands: an int, True for `*`, None when absent."""
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return True
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and len(value) < 10:
            return int(value)
    raise ValidationProblem.for_field(["If-Match"], 'expected an ETag such as "3"', source="header")


def etag(snippet: Snippet) -> str:
    return f'"{snippet.revision}"'


def update(
    session: AsyncSession, snippet: Snippet, payload: SnippetUpdate, if_match: str | None, settings: GatewaySettings
) -> Snippet:
    wanted = parse_if_match(if_match)
    expected = payload.expected_revision if wanted is None or wanted is True else wanted
    if expected is not None and expected != snippet.revision:
        raise ProblemError(
            409,
            "revision-conflict",
            "Revision conflict",
            f"The snippet is at revision {snippet.revision}, not {expected}: fetch it again and reapply your change.",
        )
    check_content(
        settings, title=payload.title, description=payload.description, language=payload.language, files=payload.files
    )
    now = datetime.now(UTC)
    if payload.title is not None:
        snippet.title = payload.title
    if payload.description is not None:
        snippet.description = payload.description
    if payload.language is not None:
        snippet.language = payload.language
    if payload.files is not None:
        snippet.files = _files(payload.files)
    if payload.visibility is not None:
        snippet.visibility = payload.visibility
    snippet.updated_at = now
    if payload.changes_content:
        snippet.revision += 1
        repo.add_revision(session, _revision_of(snippet, now))
    return snippet


async def fork(session: AsyncSession, origin: Snippet, owner_id: uuid.UUID, revision: int | None) -> Snippet:
    title, description, language, files = origin.title, origin.description, origin.language, origin.files
    number = origin.revision
    if revision is not None:
        found = await revision_of(session, origin, revision)
        title, description, language, files = found.title, found.description, found.language, found.files
        number = found.number
    now = datetime.now(UTC)
    snippet = Snippet(
        id=new_id(),
        owner_id=owner_id,
        title=title,
        description=description,
        language=language,
        files=list(files),
        visibility="private",
        share_token=secrets.token_urlsafe(16),
        revision=1,
        forked_from_id=origin.id,
        forked_from_revision=number,
        created_at=now,
        updated_at=now,
    )
    return _save_new(session, snippet, now)


async def revision_of(session: AsyncSession, snippet: Snippet, number: int) -> SnippetRevision:
    found = await repo.revision(session, snippet.id, number)
    if found is None:
        raise NotFoundProblem(f"Revision {number} of snippet {snippet.id}")
    return found


# --- lists ------------------------------------------------------------------------------------


def page_query(
    settings: GatewaySettings,
    *,
    q: str | None,
    language: str | None,
    visibility: str | None,
    cursor: str | None,
    limit: int | None,
) -> repo.PageQuery:
    for name, value in (("q", q), ("language", language)):
        if value is not None and "\x00" in value:
            raise ValidationProblem.for_field([name], "must not contain NUL", source="query")
    size = paging.page_size(limit, settings.snippet_page_default, settings.snippet_page_max)
    after = paging.decode_cursor(cursor) if cursor else None
    return repo.PageQuery(q=q or None, language=language or None, visibility=visibility, after=after, limit=size)


# --- runs -------------------------------------------------------------------------------------


async def run_payload(
    session: AsyncSession, snippet: Snippet, run: SnippetRun, revision: int | None
) -> ExecutionCreate:
    """The execution request a run of the snippet (or of one of its revisions) amounts to."""
    language, files = snippet.language, snippet.files
    if revision is not None:
        found = await revision_of(session, snippet, revision)
        language, files = found.language, found.files
    return ExecutionCreate(
        language=language,
        files=[FileIn(name=f["name"], content=f["content"]) for f in files],
        stdin=run.stdin,
        args=run.args,
        version=run.version,
        compile_options=run.compile_options,
        limits=run.limits,
        compile_limits=run.compile_limits,
    )
