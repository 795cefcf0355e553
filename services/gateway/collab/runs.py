"""A session's shared run: one execution every participant watches.

An editor runs the session's document as it stands (the snapshot in PostgreSQL plus the update log
in Redis, so any gateway can start it, whichever serves the editors' sockets). The execution is
the runner's own: charged to the runner's budget and in-flight cap like POST /v1/executions, and
in the runner's history. What makes it shared is ``collab_session_id``: every participant, viewers
included, may stream it through the session, which someone else's execution never allows
otherwise. The session's current run is kept in Redis and announced to every socket of the
session (a type-100 ``run`` event), so participants who join later find it too.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, WebSocket, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import links as public_links
from services.gateway.auth.access import ExecutionsWrite, SnippetsReadOpen, SnippetsReadOpenSocket
from services.gateway.collab import access, control, service
from services.gateway.collab.content import current_files
from services.gateway.collab.endpoints import CookieHolder, SessionId
from services.gateway.deps import SessionDep, StateDep
from services.gateway.executions import cancel as cancelling
from services.gateway.executions import service as executions_service
from services.gateway.executions import submission
from services.gateway.executions.interactive import InputStream
from services.gateway.executions.queueing import enqueue, versions_or_empty
from services.gateway.executions.schemas import ExecutionCreate, ExecutionOut
from services.gateway.executions.stream import CLOSE_NOT_FOUND, stream_with_transcripts
from services.gateway.ratelimit.wiring import AdmittedExecution
from services.gateway.snippets.schemas import SnippetRun
from services.gateway.state import GatewayState
from shared.db.models import Execution, Snippet
from shared.db.records import execution_job
from shared.executions import ExecutionStatus
from shared.interactive import INPUT_BYTES, INPUT_DATA, INPUT_EOF, INPUT_KIND, INPUT_TTL_S
from shared.problems import PROBLEM_RESPONSES, NotFoundProblem, ProblemError, documented_problem
from shared.redis_keys import collab_run, collab_run_input

router = APIRouter(tags=["collab"])

# The current run's record outlives any run (wall limits are minutes); it is replaced by the next.
RUN_RECORD_TTL_S = 86_400

ExecutionId = Annotated[uuid.UUID, Path(description="The shared run's execution id.")]


class SharedRunCreate(SnippetRun):
    """How to run the session's files: the same options as running a snippet."""

    replace: bool = Field(
        default=False, description="Cancel the session's current run if it is still going, instead of a 409."
    )
    interactive: bool = Field(
        default=False,
        description="Run it interactively: editors type its input as it runs (POST .../input); `stdin`, if "
        "given, is its first input.",
    )


class SharedRunInput(BaseModel):
    """Input for an interactive shared run: text, or the end of input."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"data": "42\n"}, {"eof": True}]})

    data: str | None = Field(default=None, description="Text sent to the program's standard input.")
    eof: bool = Field(default=False, description="Close the program's standard input (after `data`, if both).")


class SharedRunOut(BaseModel):
    execution_id: uuid.UUID
    runner_participant_id: uuid.UUID
    runner_name: str
    started_at: datetime
    interactive: bool = Field(default=False, description="Editors type its input (POST .../input).")
    stream: str = Field(description="The WebSocket URL every participant streams the run from.")


def _stream_url(session_id: uuid.UUID, execution_id: uuid.UUID) -> str:
    return public_links.ws_url(f"/v1/collab/sessions/{session_id}/runs/{execution_id}/stream")


def _run_out(record: dict[str, Any]) -> SharedRunOut:
    return SharedRunOut(
        execution_id=record["execution_id"],
        runner_participant_id=record["runner_participant_id"],
        runner_name=record["runner_name"],
        started_at=record["started_at"],
        interactive=bool(record.get("interactive", False)),
        stream=_stream_url(uuid.UUID(record["session_id"]), uuid.UUID(record["execution_id"])),
    )


async def _snippet_language(session: AsyncSession, snippet_id: uuid.UUID) -> str:
    language = (await session.execute(select(Snippet.language).where(Snippet.id == snippet_id))).scalar()
    if language is None:
        raise NotFoundProblem(f"Snippet {snippet_id}")
    return str(language)


async def _current(state: GatewayState, session_id: uuid.UUID) -> dict[str, Any] | None:
    raw = await state.redis.get(collab_run(session_id))
    return json.loads(raw) if raw else None


async def _still_going(session: AsyncSession, execution_id: uuid.UUID) -> bool:
    status_ = (await session.execute(select(Execution.status).where(Execution.id == execution_id))).scalar()
    return status_ is not None and status_ != ExecutionStatus.finished.value


RUN_IN_PROGRESS = documented_problem("The session's current run is still going (send `replace: true` to cancel it)")
NOT_EDITOR = documented_problem("Viewers cannot run")


@router.post(
    "/v1/collab/sessions/{session_id}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SharedRunOut,
    summary="Run the session's files for everyone",
    description="Editors only. Runs the document as it stands now, as an execution of the caller's (charged to "
    "the caller's execution budget, in the caller's history) that every participant may stream from "
    "`stream`. Every participant's socket gets a `run` event. One run at a time: a second is a 409 "
    "unless `replace` cancels the first.",
    responses={**PROBLEM_RESPONSES, 403: NOT_EDITOR, 409: RUN_IN_PROGRESS},
)
async def start_shared_run(
    session_id: SessionId,
    payload: SharedRunCreate,
    state: StateDep,
    reservation: AdmittedExecution,
    session: SessionDep,
    principal: ExecutionsWrite,
    holder: CookieHolder,
    response: Response,
) -> SharedRunOut:
    view = await service.view(session, principal, holder, session_id)
    if view.row.status != "active":
        raise ProblemError(409, "collab-session-ended", "Session ended", "The collaborative session has ended.")
    if view.you.role != "editor":
        raise ProblemError(403, "collab-viewer", "Viewers cannot run", "Only the session's editors may run it.")
    current = await _current(state, session_id)
    going = current is not None and await _still_going(session, uuid.UUID(current["execution_id"]))
    if going and not payload.replace:
        raise ProblemError(
            409, "collab-run-in-progress", "A run is in progress", "The session's current run is still going."
        )
    language, files = await current_files(state, session_id, session)
    language = language or await _snippet_language(session, view.row.snippet_id)
    # Done with the request's connection (a seed is committed): what follows takes pooled
    # connections of its own, one at a time, never two held by one request.
    await session.commit()
    if going and current is not None:
        with contextlib.suppress(cancelling.AlreadyFinished):
            await cancelling.stop(state, uuid.UUID(current["execution_id"]))
    request = ExecutionCreate(
        language=language,
        files=files,
        # An interactive run's input is typed as it runs (the given stdin becomes its first input).
        stdin="" if payload.interactive else payload.stdin,
        args=payload.args,
        version=payload.version,
        compile_options=payload.compile_options,
        limits=payload.limits,
        compile_limits=payload.compile_limits,
    )
    execution = await executions_service.prepare_execution(
        request,
        state.settings,
        await versions_or_empty(state),
        interactive=payload.interactive,
        user_id=principal.user_id,
    )
    execution.collab_session_id = session_id
    execution.snippet_id = view.row.snippet_id
    # Persisted (its own transaction) before it is queued, as every execution is.
    async with state.sessionmaker() as fresh:
        await submission.persist(fresh, execution)
    await enqueue(state, execution.id, execution_job(execution), reservation)
    if payload.interactive and payload.stdin:
        await _push_input(state, execution.id, payload.stdin.encode(), eof=False)
    record = {
        "session_id": str(session_id),
        "execution_id": str(execution.id),
        "runner_participant_id": str(view.you.id),
        "runner_name": view.you.display_name,
        "started_at": datetime.now(UTC).isoformat(),
        "interactive": payload.interactive,
    }
    await state.redis.set(collab_run(session_id), json.dumps(record), ex=RUN_RECORD_TTL_S)
    out = _run_out(record)
    await control.publish(
        state.redis,
        session_id,
        {"type": "run", **out.model_dump(mode="json"), "runner_color": view.you.color},
    )
    response.headers["Location"] = f"/v1/executions/{execution.id}"
    return out


@router.get(
    "/v1/collab/sessions/{session_id}/runs/current",
    response_model=SharedRunOut | None,
    summary="The session's current (or last) shared run",
    description="`null` before the session's first run.",
    responses={**PROBLEM_RESPONSES, 404: documented_problem("Not a participant")},
)
async def current_shared_run(
    session_id: SessionId, state: StateDep, session: SessionDep, principal: SnippetsReadOpen, holder: CookieHolder
) -> SharedRunOut | None:
    await service.view(session, principal, holder, session_id)
    current = await _current(state, session_id)
    return _run_out(current) if current is not None else None


async def _session_run(state: GatewayState, session_id: uuid.UUID, execution_id: uuid.UUID) -> bool:
    async with state.sessionmaker() as session:
        found = await session.execute(select(Execution.collab_session_id).where(Execution.id == execution_id))
    return found.scalar() == session_id


@router.post(
    "/v1/collab/sessions/{session_id}/runs/{execution_id}/cancel",
    response_model=ExecutionOut,
    summary="Cancel a shared run",
    description="Editors only, whoever started the run. As POST /v1/executions/{id}/cancel otherwise.",
    responses={
        **PROBLEM_RESPONSES,
        202: {"model": ExecutionOut, "description": "Cancellation under way"},
        403: NOT_EDITOR,
        409: documented_problem("The run had already finished"),
    },
)
async def cancel_shared_run(
    session_id: SessionId,
    execution_id: ExecutionId,
    state: StateDep,
    session: SessionDep,
    principal: ExecutionsWrite,
    holder: CookieHolder,
    response: Response,
) -> ExecutionOut:
    view = await service.view(session, principal, holder, session_id)
    if view.you.role != "editor":
        raise ProblemError(403, "collab-viewer", "Viewers cannot cancel", "Only the session's editors may cancel.")
    # Released before the session check and the cancel take connections of their own.
    await session.commit()
    if not await _session_run(state, session_id, execution_id):
        raise NotFoundProblem(f"Run {execution_id} of collaborative session {session_id}")
    record = await cancelling.stop(state, execution_id)
    if record.status is not ExecutionStatus.finished:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Retry-After"] = "1"
    return ExecutionOut.build(record, "text")


async def _push_input(state: GatewayState, execution_id: uuid.UUID, data: bytes, *, eof: bool) -> None:
    """Into the run's input Stream, within the same caps as an interactive socket's (max_stdin_bytes,
    every frame costing at least interactive_input_frame_cost_bytes, interactive_max_input_frames),
    counted per run in Redis: several editors, on any gateways, share one allowance."""
    settings = state.settings
    frames = (1 if data else 0) + (1 if eof else 0)
    cost = (max(len(data), settings.interactive_input_frame_cost_bytes) if data else 0) + (
        settings.interactive_input_frame_cost_bytes if eof else 0
    )
    key = collab_run_input(execution_id)
    async with state.redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "bytes", cost)
        pipe.hincrby(key, "frames", frames)
        pipe.expire(key, INPUT_TTL_S)
        used_bytes, used_frames, _ = await pipe.execute()
    if used_bytes > settings.max_stdin_bytes or used_frames > settings.interactive_max_input_frames:
        raise ProblemError(
            413,
            "content-too-large",
            "Input too large",
            f"at most {settings.max_stdin_bytes} bytes of input in at most "
            f"{settings.interactive_max_input_frames} frames are accepted per run",
        )
    stream = InputStream(state, execution_id)
    if data:
        await stream.push({INPUT_KIND: INPUT_DATA, INPUT_BYTES: data})
    if eof:
        await stream.push({INPUT_KIND: INPUT_EOF})


@router.post(
    "/v1/collab/sessions/{session_id}/runs/{execution_id}/input",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Type input into an interactive shared run",
    description="Editors only, whoever started the run: the text reaches the program's standard input in the "
    "order the gateway receives it; `eof` closes it. Within the caps of an interactive execution's input "
    "(`max_stdin_bytes`, a minimum cost per frame, a most frames), shared by all editors of the run.",
    responses={
        **PROBLEM_RESPONSES,
        403: NOT_EDITOR,
        409: documented_problem("The run is not interactive, or has finished"),
        413: documented_problem("The run's input allowance is spent"),
    },
)
async def type_shared_run_input(
    session_id: SessionId,
    execution_id: ExecutionId,
    payload: SharedRunInput,
    state: StateDep,
    session: SessionDep,
    principal: ExecutionsWrite,
    holder: CookieHolder,
) -> Response:
    view = await service.view(session, principal, holder, session_id)
    if view.you.role != "editor":
        raise ProblemError(403, "collab-viewer", "Viewers cannot type", "Only the session's editors may type input.")
    found = (
        await session.execute(
            select(Execution.interactive, Execution.status).where(
                Execution.id == execution_id, Execution.collab_session_id == session_id
            )
        )
    ).one_or_none()
    if found is None:
        raise NotFoundProblem(f"Run {execution_id} of collaborative session {session_id}")
    if not found.interactive or found.status == ExecutionStatus.finished.value:
        raise ProblemError(
            409, "collab-run-not-interactive", "No input expected", "The run is not interactive, or has finished."
        )
    await _push_input(state, execution_id, (payload.data or "").encode(), eof=payload.eof)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.websocket("/v1/collab/sessions/{session_id}/runs/{execution_id}/stream")
async def stream_shared_run(
    websocket: WebSocket, session_id: uuid.UUID, execution_id: str, state: StateDep, gate: SnippetsReadOpenSocket
) -> None:
    """The run's frames, exactly as GET /v1/executions/{id}/stream sends them, to any participant."""
    del gate  # Admission is the session's own (participant cookie, token, bearer or ticket).
    await websocket.accept()
    try:
        admission = await access.admit_socket(state, websocket, session_id)
    except access.SocketRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    try:
        eid = uuid.UUID(execution_id)
    except ValueError:
        eid = None
    if eid is None or not await _session_run(state, admission.session_id, eid):
        await websocket.close(CLOSE_NOT_FOUND, "unknown run")
        return
    await stream_with_transcripts(state, websocket, eid, "text")
