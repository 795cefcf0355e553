"""Judge0 CE 1.13's API at /judge0 (docs/compat.md): its routes, parameters, answers and errors."""

from __future__ import annotations

import os
import platform
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.gateway.auth.access import CallerOpen, ExecutionsRead, ExecutionsReadOpen, ExecutionsWrite
from services.gateway.auth.principal import Principal
from services.gateway.compat.common import JUDGE0_PREFIX, dialect_route, json_body, run_to_end
from services.gateway.compat.judge0 import repository as repo
from services.gateway.compat.judge0 import service
from services.gateway.deps import SessionDep, StateDep
from services.gateway.executions import submission
from services.gateway.executions.queueing import enqueue, versions_or_empty
from services.gateway.executions.service import caller_policies
from services.gateway.ratelimit.wiring import AdmittedExecution, SelfAdmitted
from services.gateway.state import GatewayState
from shared.compat.judge0.attributes import (
    ALL_FIELDS,
    DEFAULT_CPU_EXTRA_TIME_S,
    DEFAULT_FIELDS,
    DEFAULT_STACK_LIMIT_KB,
    STATUSES,
)
from shared.compat.judge0.languages import TABLE, display_name
from shared.compat.judge0.render import NotUtf8, render
from shared.db.models import Execution
from shared.db.records import execution_job
from shared.ids import new_id
from shared.problems import ProblemError
from shared.settings import ExecutorSettings

# The Judge0 version whose API this is (the SDK picks its language table by it).
JUDGE0_VERSION = "1.13.1"
CONVERSION_ERROR = (
    "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter"
)
BATCH_CONVERSION_ERROR = (
    "some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter"
)
PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000


def _render_problem(problem: ProblemError) -> Response:
    """Judge0's error shapes: 422 ``{attribute: [messages]}``, Rails' 404, else ``{"error": ...}``."""
    body: dict[str, Any]
    if problem.status == 422 and problem.errors:
        body = {}
        for error in problem.errors:
            body.setdefault(".".join(str(p) for p in error.loc[1:]) or "request", []).append(error.msg)
    elif problem.status == 404:
        body = {"status": 404, "error": "Not Found"}
    else:
        body = {"error": problem.detail or problem.title}
    return JSONResponse(body, status_code=problem.status, headers=dict(problem.headers or {}))


router = APIRouter(prefix=JUDGE0_PREFIX, route_class=dialect_route(_render_problem))

Base64Query = Annotated[str | None, Query()]


def _bad_request(error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=400)


def _encoded(value: str | None) -> bool:
    # Judge0 1.13's documented default: plain text unless base64_encoded=true.
    return value == "true"


async def requested_fields(fields: Annotated[str | None, Query()] = None) -> tuple[str, ...]:
    """``?fields=``: Judge0's default attributes, ``*`` for all, or the ones named (400 for others)."""
    requested = [field for field in (fields or "").split(",") if field]
    invalid = [field for field in requested if field != "*" and field not in ALL_FIELDS]
    if invalid:
        raise ProblemError(400, "bad-request", "Bad request", f"invalid fields: [{', '.join(invalid)}]")
    if "*" in requested:
        return ALL_FIELDS
    return tuple(requested) or DEFAULT_FIELDS


Fields = Annotated[tuple[str, ...], Depends(requested_fields)]


# Information ------------------------------------------------------------------------------------


@router.get("/about")
async def about() -> dict[str, Any]:
    return {
        "version": JUDGE0_VERSION,
        "homepage": "https://github.com/judge0/judge0 (API); served by CodeRunHub",
        "source_code": "https://github.com/judge0/judge0",
        "maintainer": "CodeRunHub",
    }


@router.get("/version", response_class=PlainTextResponse)
async def version() -> str:
    return JUDGE0_VERSION


@router.get("/statuses")
async def statuses() -> list[dict[str, Any]]:
    return [{"id": sid, "description": name} for sid, name in STATUSES.items()]


@router.get("/system_info")
async def system_info() -> dict[str, Any]:
    # Only what says what programs run on; nothing about the host's configuration.
    return {"Architecture": platform.machine(), "CPU(s)": str(os.cpu_count() or 1), "Sandbox": "CodeRunHub"}


@router.get("/config_info")
async def config_info(state: StateDep, principal: CallerOpen) -> dict[str, Any]:
    """The limits this caller gets (accounts' or anonymous callers'), in Judge0's units."""
    policy, _ = caller_policies(state.settings, principal.user_id)
    webhooks = ExecutorSettings.model_fields
    return {
        "maintenance_mode": False,
        "enable_wait_result": True,
        "enable_compiler_options": True,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": True,
        "enable_submission_delete": False,
        "enable_callbacks": principal.user_id is not None,
        "callbacks_max_tries": webhooks["webhook_max_attempts"].default,
        "callbacks_timeout": float(webhooks["webhook_timeout_s"].default),
        "enable_additional_files": True,
        "max_queue_size": state.settings.max_queued,
        "cpu_time_limit": policy.cpu_time_ms.default / 1000,
        "max_cpu_time_limit": policy.cpu_time_ms.maximum / 1000,
        "cpu_extra_time": DEFAULT_CPU_EXTRA_TIME_S,
        "max_cpu_extra_time": service.MAX_CPU_EXTRA_TIME_S,
        "wall_time_limit": policy.wall_time_ms.default / 1000,
        "max_wall_time_limit": policy.wall_time_ms.maximum / 1000,
        "memory_limit": policy.memory_mb.default * 1024,
        "max_memory_limit": policy.memory_mb.maximum * 1024,
        "stack_limit": DEFAULT_STACK_LIMIT_KB,
        "max_stack_limit": service.MAX_STACK_LIMIT_KB,
        "max_processes_and_or_threads": policy.processes.default,
        "max_max_processes_and_or_threads": policy.processes.maximum,
        "enable_per_process_and_thread_time_limit": False,
        "allow_enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": False,
        "max_file_size": policy.file_size_kb.default,
        "max_max_file_size": policy.file_size_kb.maximum,
        "number_of_runs": 1,
        "max_number_of_runs": 1,
        "redirect_stderr_to_stdout": False,
        "max_extract_size": service.MAX_EXTRACT_BYTES // 1024,
        "enable_batched_submissions": True,
        "max_submission_batch_size": state.settings.batch_max_size,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": False,
        "allow_enable_network": False,
        "enable_network": False,
    }


@router.post("/authenticate")
async def authenticate(principal: CallerOpen) -> Response:
    # Reaching here means the credentials, if any, were valid.
    return Response(status_code=200)


@router.post("/authorize")
async def authorize(principal: CallerOpen) -> Response:
    return Response(status_code=200 if principal.is_admin else 403)


@router.get("/languages")
async def languages(state: StateDep) -> list[dict[str, Any]]:
    versions = await versions_or_empty(state)
    return [
        {"id": entry.id, "name": display_name(entry.language, versions)} for entry in TABLE.values() if entry.listed
    ]


@router.get("/languages/all")
async def all_languages(state: StateDep) -> list[dict[str, Any]]:
    versions = await versions_or_empty(state)
    rows = [
        {"id": entry.id, "name": display_name(entry.language, versions), "is_archived": False}
        for entry in TABLE.values()
    ]
    return sorted(rows, key=lambda row: str(row["name"]))


@router.get("/languages/{language_id}")
async def language(language_id: str, state: StateDep) -> dict[str, Any]:
    entry = TABLE.get(int(language_id)) if language_id.isdigit() else None
    if entry is None:
        raise ProblemError(404, "not-found", "Not found")
    lang = entry.language
    return {
        "id": entry.id,
        "name": display_name(lang, await versions_or_empty(state)),
        "is_archived": False,
        "source_file": lang.source_file,
        "compile_cmd": " ".join(lang.compile) if lang.compile else None,
        "run_cmd": " ".join(lang.run),
    }


# Submissions ------------------------------------------------------------------------------------


async def _view(
    state: GatewayState, execution_id: uuid.UUID, principal: Principal, fields: tuple[str, ...], encoded: bool
) -> dict[str, Any] | None:
    async with state.sessionmaker() as session:
        loaded = await repo.load(session, execution_id)
    if loaded is None or not principal.may_see(loaded[0].user_id):
        return None
    execution, record = loaded
    return render(execution, record, fields, encoded=encoded, versions=await versions_or_empty(state))


@router.post("/submissions", status_code=201)
async def create_submission(
    request: Request,
    state: StateDep,
    reservation: AdmittedExecution,
    session: SessionDep,
    principal: ExecutionsWrite,
    selected: Fields,
    base64_encoded: Base64Query = None,
    wait: Annotated[str | None, Query()] = None,
) -> Response:
    encoded = _encoded(base64_encoded)
    try:
        execution = await service.prepare(
            service.parse(await json_body(request)),
            encoded=encoded,
            settings=state.settings,
            versions=await versions_or_empty(state),
            user_id=principal.user_id,
        )
    except service.Judge0Invalid as invalid:
        return JSONResponse(invalid.errors, status_code=422)
    if wait != "true":
        await submission.persist(session, execution)
        await enqueue(state, execution.id, execution_job(execution), reservation)
        return JSONResponse({"token": str(execution.id)}, status_code=201)
    record = await run_to_end(state, session, execution, reservation)
    try:
        # The row's inputs are the ones just stored, the results the final event's: no reload.
        body = render(execution, record, selected, encoded=encoded, versions=await versions_or_empty(state))
    except NotUtf8:
        return JSONResponse({"error": CONVERSION_ERROR, "token": str(execution.id)}, status_code=201)
    return JSONResponse(body, status_code=201)


@router.post("/submissions/batch", dependencies=[SelfAdmitted])
async def create_batch(
    request: Request,
    state: StateDep,
    session: SessionDep,
    principal: ExecutionsWrite,
    base64_encoded: Base64Query = None,
) -> Response:
    body = await json_body(request)
    items = body.get("submissions") if isinstance(body, dict) else None
    items = items if isinstance(items, list) else []
    limit = state.settings.batch_max_size
    if len(items) > limit:
        return _bad_request(f"number of submissions in a batch should be less than or equal to {limit}")
    if not items:
        return _bad_request("there should be at least one submission in a batch")
    versions = await versions_or_empty(state)
    # Per item: its errors, or its execution (whose id, the token, is set when it is stored).
    answers: list[dict[str, Any] | Execution] = []
    executions: list[Execution] = []
    for item in items:
        try:
            execution = await service.prepare(
                service.parse(item),
                encoded=_encoded(base64_encoded),
                settings=state.settings,
                versions=versions,
                user_id=principal.user_id,
            )
        except service.Judge0Invalid as invalid:
            answers.append(invalid.errors)
            continue
        executions.append(execution)
        answers.append(execution)
    if not executions:
        return JSONResponse(answers, status_code=422)
    for execution in executions:
        execution.id = new_id()
    await submission.persist_batch(request, state, session, executions)
    for execution in executions:
        await enqueue(state, execution.id, execution_job(execution))
    tokens = [{"token": str(a.id)} if isinstance(a, Execution) else a for a in answers]
    return JSONResponse(tokens, status_code=201)


@router.get("/submissions/batch")
async def get_batch(
    request: Request,
    state: StateDep,
    principal: ExecutionsReadOpen,
    selected: Fields,
    tokens: Annotated[str | None, Query()] = None,
    tokens_header: Annotated[str | None, Header(alias="tokens")] = None,
    base64_encoded: Base64Query = None,
) -> Response:
    wanted = [token for token in (tokens_header or tokens or "").strip().split(",") if token]
    limit = state.settings.batch_max_size
    if len(wanted) > limit:
        return _bad_request(f"number of submissions in a batch should be less than or equal to {limit}")
    if not wanted:
        return _bad_request("there should be at least one submission in a batch")
    found: list[dict[str, Any] | None] = []
    try:
        for token in wanted:
            execution_id = _token(token)
            view = None
            if execution_id is not None:
                view = await _view(state, execution_id, principal, selected, _encoded(base64_encoded))
            found.append(view)
    except NotUtf8:
        return _bad_request(BATCH_CONVERSION_ERROR)
    return JSONResponse({"submissions": found})


@router.get("/submissions")
async def list_submissions(
    state: StateDep,
    principal: ExecutionsRead,
    selected: Fields,
    page: Annotated[str | None, Query()] = None,
    per_page: Annotated[str | None, Query()] = None,
    base64_encoded: Base64Query = None,
) -> Response:
    """The caller's own submissions (Judge0 shows everyone's to its administrator)."""
    number = int(page) if page and page.lstrip("-").isdigit() else 1
    size = int(per_page) if per_page and per_page.lstrip("-").isdigit() else PER_PAGE
    if number <= 0:
        return _bad_request(f"invalid page: {number}")
    if size < 0:
        return _bad_request(f"invalid per_page: {size}")
    # Bounded before SQL sees them: an OFFSET past bigint would be a database error.
    size = min(size, MAX_PER_PAGE)
    number = min(number, MAX_PAGE)
    assert principal.user_id is not None  # ExecutionsRead admits accounts only
    async with state.sessionmaker() as session:
        ids = await repo.page_of(session, principal.user_id, number, size) if size else []
        total = await repo.count_of(session, principal.user_id)
    try:
        views = [await _view(state, eid, principal, selected, _encoded(base64_encoded)) for eid in ids]
    except NotUtf8:
        return _bad_request(BATCH_CONVERSION_ERROR)
    pages = -(-total // size) if size else 0
    meta = {
        "current_page": number,
        "next_page": number + 1 if number < pages else None,
        "prev_page": number - 1 if number > 1 else None,
        "total_pages": pages,
        "total_count": total,
    }
    return JSONResponse({"submissions": [view for view in views if view is not None], "meta": meta})


def _token(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.get("/submissions/{token}")
async def get_submission(
    token: str,
    state: StateDep,
    principal: ExecutionsReadOpen,
    selected: Fields,
    base64_encoded: Base64Query = None,
) -> Response:
    execution_id = _token(token)
    try:
        view = await _view(state, execution_id, principal, selected, _encoded(base64_encoded)) if execution_id else None
    except NotUtf8:
        return _bad_request(CONVERSION_ERROR)
    if view is None:
        raise ProblemError(404, "not-found", "Not found")
    return JSONResponse(view)


@router.delete("/submissions/{token}")
async def delete_submission(token: str, principal: ExecutionsWrite) -> Response:
    # Judge0's default (ENABLE_SUBMISSION_DELETE=false); executions stay in their owners' history.
    return _bad_request("delete not allowed")
