from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.gateway.auth.access import ExecutionsReadOpen, ExecutionsWrite
from services.gateway.batches import repository as repo
from services.gateway.batches import service
from services.gateway.batches.repository import BatchRecord
from services.gateway.batches.schemas import BatchCreate, BatchOut
from services.gateway.deps import EncodingQuery, SessionDep, StateDep
from services.gateway.executions import submission
from services.gateway.executions.queueing import enqueue, versions_or_empty
from services.gateway.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyDep
from services.gateway.ratelimit.wiring import SelfAdmitted
from shared.db.records import execution_job
from shared.executions import ExecutionStatus
from shared.ids import new_id
from shared.problems import PROBLEM_RESPONSES, NotFoundProblem, problem_responses

router = APIRouter(prefix="/v1/batches", tags=["batches"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchOut,
    dependencies=[SelfAdmitted],
    summary="Submit several executions at once",
    description="Validates every execution first: any invalid one is a 422 whose `errors` name it by index "
    "(`body.executions.<i>...`), and nothing is created. Then persists them all, queues them, and answers 202 "
    "with the batch. Each execution counts against the `executions` rate limit and the in-flight cap; a batch "
    "that does not fit in the queue is a 503. With `wait=true` the answer waits (bounded) until all have "
    "finished: 200, or 202 with their current state when the wait ends.",
    responses={
        200: {"model": BatchOut, "description": "Every execution finished (`wait=true`)"},
        **PROBLEM_RESPONSES,
        **problem_responses(429, 503),
        **IDEMPOTENCY_RESPONSES,
    },
)
async def create_batch(
    payload: BatchCreate,
    request: Request,
    state: StateDep,
    session: SessionDep,
    principal: ExecutionsWrite,
    response: Response,
    idempotency: IdempotencyDep,
    wait: Annotated[bool, Query(description="Answer once every execution has finished.")] = False,
    encoding: EncodingQuery = "text",
) -> BatchOut | Response:
    user_id = principal.user_id
    service.check_size(payload, state.settings)
    if (replay := await idempotency.begin()) is not None:
        return replay
    executions = await service.build_all(payload, state.settings, await versions_or_empty(state), user_id)
    ids = [execution.id for execution in executions]
    await submission.persist_batch(request, state, session, executions)
    record = BatchRecord(new_id(), user_id, ids, datetime.now(UTC))
    await repo.save(state.redis, record, state.settings.batch_ttl_s)
    for execution in executions:
        await enqueue(state, execution.id, execution_job(execution))
    response.headers["Location"] = f"/v1/batches/{record.id}"

    if wait:
        await service.wait_until_finished(state.sessionmaker, ids, state.settings.wait_timeout_s)
    result = await service.load(state.sessionmaker, record, encoding)
    if wait and result.status is ExecutionStatus.finished:
        response.status_code = status.HTTP_200_OK
    return await idempotency.done(result, response)


@router.get(
    "/{batch_id}",
    response_model=BatchOut,
    summary="Get a batch's executions and results",
    description="Every execution of the batch with its results, in submission order. A batch is visible to "
    "whoever may see its executions (anonymous batches to anyone with the id), for `batch_ttl_s` (a week by "
    "default) after it was created; the executions themselves stay readable at `/v1/executions/{id}`.",
    responses=PROBLEM_RESPONSES,
)
async def get_batch(
    batch_id: uuid.UUID, state: StateDep, principal: ExecutionsReadOpen, encoding: EncodingQuery = "text"
) -> BatchOut:
    record = await repo.load(state.redis, batch_id)
    if record is None or not principal.may_see(record.user_id):
        raise NotFoundProblem(f"Batch {batch_id}")
    return await service.load(state.sessionmaker, record, encoding)
