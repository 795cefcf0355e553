from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, WebSocket, status

from services.gateway.auth.access import ExecutionsReadOpen, ExecutionsReadSocket, ExecutionsWrite
from services.gateway.deps import EncodingQuery, SessionDep, StateDep
from services.gateway.executions import cancel, service, submission
from services.gateway.executions import repository as repo
from services.gateway.executions.downloads import download_headers
from services.gateway.executions.queueing import versions_or_empty
from services.gateway.executions.schemas import ExecutionCreate, ExecutionOut, SubmissionOut, SubmittedFileOut
from services.gateway.executions.stream import (
    CLOSE_BAD_REQUEST,
    CLOSE_NOT_FOUND,
    stream_with_transcripts,
)
from services.gateway.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyDep
from services.gateway.lru import MISSING
from services.gateway.ratelimit.wiring import AdmittedExecution
from shared.db.session import single_statement
from shared.executions import ExecutionStatus
from shared.problems import PROBLEM_RESPONSES, NotFoundProblem, documented_problem

logger = logging.getLogger("coderunhub.gateway.executions")

router = APIRouter(prefix="/v1/executions", tags=["executions"])

STREAM_PROTOCOL = """
Output streams over `WS /v1/executions/{id}/stream` (`?encoding=text|base64`) as JSON frames:
`{"type":"status","seq":1,"status":"running","phase":"run"}`,
`{"type":"stdout"|"stderr","seq":2,"phase":"run","encoding":"text","data":"..."}` and finally
`{"type":"result","seq":N,"execution":{...}}`, after which the server closes with code 1000.
When an execution's live output reaches its budget, one
`{"type":"live_output_limit","seq":K,"phase":"run","message":"..."}` frame says so and no more
output frames follow; the result (and this resource) still has all the output the limits allow.
Frames are in `seq` order; a client connecting late or reconnecting receives everything from
the first frame (a minute after the execution finished, frames rebuilt from the stored result,
numbered after the live ones). Unknown executions close with code 4404.
"""


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExecutionOut,
    summary="Submit code for execution",
    description="Persists and queues an execution. With `wait=true` the response carries the finished result "
    "(200), unless the configured wait elapses first (202 with the current state).\n" + STREAM_PROTOCOL,
    responses={
        200: {"model": ExecutionOut, "description": "Finished result (`wait=true`)"},
        **PROBLEM_RESPONSES,
        **IDEMPOTENCY_RESPONSES,
    },
)
async def create_execution(
    payload: ExecutionCreate,
    state: StateDep,
    reservation: AdmittedExecution,
    session: SessionDep,
    principal: ExecutionsWrite,
    response: Response,
    idempotency: IdempotencyDep,
    wait: Annotated[bool, Query(description="Answer with the finished result.")] = False,
    encoding: EncodingQuery = "text",
) -> ExecutionOut | Response:
    if (replay := await idempotency.begin()) is not None:
        return replay
    execution = await service.prepare_execution(
        payload, state.settings, await versions_or_empty(state), user_id=principal.user_id
    )
    return await submission.submit(
        state, session, execution, response, idempotency, reservation, wait=wait, encoding=encoding
    )


@router.get(
    "/{execution_id}",
    response_model=ExecutionOut,
    summary="Get an execution's status and results",
    responses=PROBLEM_RESPONSES,
)
async def get_execution(
    execution_id: uuid.UUID, state: StateDep, principal: ExecutionsReadOpen, encoding: EncodingQuery = "text"
) -> ExecutionOut:
    return await submission.load(state, execution_id, encoding, principal)


@router.post(
    "/{execution_id}/cancel",
    response_model=ExecutionOut,
    summary="Cancel a queued or running execution",
    description="Stops the execution wherever it is: a queued one never starts, a running one is killed. Its "
    "verdict is `cancelled` (or whatever it finished with first, when it ended on its own meanwhile). Answers 200 "
    "with the finished execution, or 202 with its current state when its executor has not reported within a few "
    "seconds (poll it, or follow its stream). Whoever may read it may cancel it: its owner and admins, or for an "
    "anonymous execution whoever holds its id.",
    responses={
        200: {"model": ExecutionOut, "description": "The finished execution"},
        202: {"model": ExecutionOut, "description": "Cancellation under way"},
        409: documented_problem("The execution had already finished"),
        **PROBLEM_RESPONSES,
    },
)
async def cancel_execution(
    execution_id: uuid.UUID,
    state: StateDep,
    principal: ExecutionsWrite,
    response: Response,
    encoding: EncodingQuery = "text",
) -> ExecutionOut:
    record = await cancel.cancel(state, principal, execution_id)
    if record.status is not ExecutionStatus.finished:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Retry-After"] = "1"
    response.headers["Location"] = f"/v1/executions/{execution_id}"
    return ExecutionOut.build(record, encoding)


@router.get(
    "/{execution_id}/submission",
    response_model=SubmissionOut,
    summary="Get the code and input an execution ran",
    description="The submitted files, stdin, arguments and compiler options, for the same callers that may read "
    "the execution.",
    responses=PROBLEM_RESPONSES,
)
async def get_submission(execution_id: uuid.UUID, session: SessionDep, principal: ExecutionsReadOpen) -> SubmissionOut:
    execution = await repo.get(session, execution_id)
    if execution is None or not principal.may_see(execution.user_id):
        raise NotFoundProblem(f"Execution {execution_id}")
    return SubmissionOut(
        id=execution.id,
        language=execution.language,
        version=execution.version,
        files=[SubmittedFileOut.model_validate(file) for file in execution.files],
        stdin=execution.stdin.decode("utf-8", errors="replace"),
        args=execution.args,
        compile_options=execution.compile_options,
        interactive=execution.interactive,
        snippet_id=execution.snippet_id,
    )


@router.get(
    "/{execution_id}/files/{name:path}",
    response_class=Response,
    summary="Download an output file",
    description="The raw bytes of one of the execution's output files (`files[].name`), as an attachment, for "
    "the same callers that may read the execution.",
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The file's bytes",
        },
        **PROBLEM_RESPONSES,
    },
)
async def get_output_file(
    execution_id: uuid.UUID, name: str, session: SessionDep, principal: ExecutionsReadOpen
) -> Response:
    exists, owner = await repo.owner(session, execution_id)
    if not exists or not principal.may_see(owner):
        raise NotFoundProblem(f"Execution {execution_id}")
    file = await repo.output_file(session, execution_id, name)
    if file is None:
        raise NotFoundProblem(f"Output file {name!r} of execution {execution_id}")
    return Response(file.content, media_type="application/octet-stream", headers=download_headers(name))


@router.websocket("/{execution_id}/stream")
async def stream_execution(
    websocket: WebSocket, execution_id: str, state: StateDep, access: ExecutionsReadSocket
) -> None:
    await websocket.accept()
    encoding = websocket.query_params.get("encoding", "text")
    try:
        eid = uuid.UUID(execution_id)
    except ValueError:
        await websocket.close(CLOSE_NOT_FOUND, "unknown execution")
        return
    if encoding not in ("text", "base64"):
        await websocket.close(CLOSE_BAD_REQUEST, "encoding must be text or base64")
        return
    principal = await access.admit(websocket)
    if principal is None:
        return
    user_id = state.recent.owners.get(eid)
    if user_id is MISSING:
        async with state.sessionmaker() as session:
            await single_statement(session)
            exists, owner = await repo.owner(session, eid)
        if exists:
            state.recent.owners.put(eid, owner)
            user_id = owner
    if user_id is MISSING or not principal.may_see(user_id):
        await websocket.close(CLOSE_NOT_FOUND, "unknown execution")
        return

    await stream_with_transcripts(state, websocket, eid, "base64" if encoding == "base64" else "text")
