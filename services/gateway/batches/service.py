"""Batches: validating every item before anything is created, and reading them back together.

Nothing here commits or enqueues; the endpoint owns that boundary."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.batches import repository as repo
from services.gateway.batches.repository import BatchRecord
from services.gateway.batches.schemas import BatchCreate, BatchOut
from services.gateway.executions import repository as executions_repo
from services.gateway.executions import service as executions_service
from services.gateway.executions.schemas import ExecutionOut, OutputEncoding
from shared.db.models import Execution
from shared.executions import ExecutionStatus
from shared.ids import new_id
from shared.problems import FieldError, ProblemError, ValidationProblem, field_error
from shared.settings import GatewaySettings

# Polling the database while waiting for a batch: from this interval, growing to the next.
WAIT_POLL_S = (0.1, 0.5)


def _item_loc(index: int, loc: Sequence[str | int]) -> list[str | int]:
    rest = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return ["body", "executions", index, *rest]


def check_size(payload: BatchCreate, settings: GatewaySettings) -> None:
    if len(payload.executions) > settings.batch_max_size:
        raise ValidationProblem.for_field(
            ["executions"],
            f"a batch has at most {settings.batch_max_size} executions, not {len(payload.executions)}",
            "too_long",
        )


async def build_all(
    payload: BatchCreate, settings: GatewaySettings, versions: Mapping[str, str], user_id: uuid.UUID | None
) -> list[Execution]:
    """Every item validated like POST /v1/executions; one 422 naming each bad item's index, or the rows."""
    executions: list[Execution] = []
    errors: list[FieldError] = []
    for index, item in enumerate(payload.executions):
        try:
            execution = await executions_service.prepare_execution(item, settings, versions, user_id=user_id)
        except ProblemError as problem:
            if problem.errors:
                errors.extend(
                    FieldError(loc=_item_loc(index, error.loc), msg=error.msg, type=error.type)
                    for error in problem.errors
                )
            else:
                errors.append(field_error(["executions", index], problem.detail or problem.title, problem.slug))
            continue
        # The id is set now so in-flight slots can be reserved before the rows are committed.
        execution.id = new_id()
        executions.append(execution)
    if errors:
        raise ValidationProblem(errors)
    return executions


async def load(
    sessionmaker: async_sessionmaker[AsyncSession], record: BatchRecord, encoding: OutputEncoding
) -> BatchOut:
    async with sessionmaker() as session:
        records = [await executions_repo.load_record(session, eid) for eid in record.execution_ids]
    executions = [ExecutionOut.build(r, encoding) for r in records if r is not None]
    statuses = [e.status for e in executions]
    finished = statuses.count(ExecutionStatus.finished)
    if finished == len(statuses):
        status = ExecutionStatus.finished
    elif all(s is ExecutionStatus.queued for s in statuses):
        status = ExecutionStatus.queued
    else:
        status = ExecutionStatus.running
    return BatchOut(
        id=record.id,
        created_at=record.created_at,
        status=status,
        finished=finished,
        total=len(executions),
        executions=executions,
    )


async def wait_until_finished(
    sessionmaker: async_sessionmaker[AsyncSession], ids: Sequence[uuid.UUID], timeout_s: float
) -> bool:
    """Poll (a count over the batch's primary keys) until every execution finished, or the time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    delay = WAIT_POLL_S[0]
    while True:
        async with sessionmaker() as session:
            if await repo.unfinished(session, ids) == 0:
                return True
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, WAIT_POLL_S[1])
