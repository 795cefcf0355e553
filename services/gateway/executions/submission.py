"""Creating executions, the one way every route does it: POST /v1/executions, a snippet's run,
a batch and an interactive WebSocket.

The order is fixed: admitted (ratelimit/admission.py, before anything is built) → persisted and
committed → queued, the request's in-flight reservation becoming the execution in the same round
trip → answered at once, or once the result is in (``wait``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from fastapi import Response, status
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from services.gateway.auth.principal import Principal
from services.gateway.executions import repository as repo
from services.gateway.executions.queueing import enqueue
from services.gateway.executions.schemas import ExecutionOut, OutputEncoding
from services.gateway.executions.stream import final_record
from services.gateway.idempotency import Idempotency
from services.gateway.ratelimit.admission import Reservation
from services.gateway.ratelimit.wiring import admit_batch
from services.gateway.relay import Subscription
from services.gateway.state import GatewayState
from shared.db.models import Execution
from shared.db.records import execution_job
from shared.db.session import single_statement
from shared.events import Event
from shared.executions import ExecutionJob, ExecutionRecord, ExecutionStatus
from shared.problems import NotFoundProblem
from shared.redis_keys import execution_channel

# When a caller whose wait=true ended first should look again (Retry-After, seconds).
WAIT_RETRY_AFTER_S = 1


async def persist(session: AsyncSession, *executions: Execution) -> None:
    """INSERT and COMMIT (one statement, one round trip): nothing is queued before this returns."""
    await single_statement(session)
    await repo.add(session, *executions)
    await session.commit()


async def persist_reserved(state: GatewayState, execution: Execution, reservation: Reservation | None) -> None:
    """Persist an execution admitted outside a request's dependencies (a WebSocket's): its
    reservation is given back if it could not be stored."""
    try:
        async with state.sessionmaker() as session:
            await persist(session, execution)
    except BaseException:
        if reservation is not None:
            await reservation.release()
        raise


async def persist_batch(
    connection: HTTPConnection, state: GatewayState, session: AsyncSession, executions: Sequence[Execution]
) -> None:
    """Admit several executions at once (one execution of budget and one in-flight slot each),
    persist them, and give the slots back if they could not be stored; the caller queues them."""
    members = [str(execution.id) for execution in executions]
    flight = await admit_batch(connection, state, members)
    try:
        await persist(session, *executions)
    except BaseException:
        if flight is not None:
            await flight.release(members)
        raise


async def load(
    state: GatewayState, execution_id: uuid.UUID, encoding: OutputEncoding, principal: Principal | None = None
) -> ExecutionOut:
    async with state.sessionmaker() as session:
        record = await repo.load_record(session, execution_id)
    # Someone else's execution does not exist, as far as this caller can tell.
    if record is None or (principal is not None and not principal.may_see(record.user_id)):
        raise NotFoundProblem(f"Execution {execution_id}")
    return ExecutionOut.build(record, encoding)


async def submit(
    state: GatewayState,
    session: AsyncSession,
    execution: Execution,
    response: Response,
    idempotency: Idempotency,
    reservation: Reservation | None,
    *,
    wait: bool,
    encoding: OutputEncoding,
) -> ExecutionOut | Response:
    """Persist, then queue (never the other way round); answer 202 with the execution, or with
    ``wait`` 200 and the finished result unless the configured wait ends first."""
    await persist(session, execution)
    execution_id = execution.id
    job = execution_job(execution)
    response.headers["Location"] = f"/v1/executions/{execution_id}"

    if not wait:
        await enqueue(state, execution_id, job, reservation)
        return await idempotency.done(await load(state, execution_id, encoding), response)

    record = await wait_for_result(state, execution_id, job, reservation)
    result = ExecutionOut.build(record, encoding) if record else await load(state, execution_id, encoding)
    if result.status is ExecutionStatus.finished:
        response.status_code = status.HTTP_200_OK
    else:
        # The wait ended first: 202, and when to ask the Location again.
        response.headers["Retry-After"] = str(WAIT_RETRY_AFTER_S)
    return await idempotency.done(result, response)


async def wait_for_result(
    state: GatewayState, execution_id: uuid.UUID, job: ExecutionJob, reservation: Reservation | None = None
) -> ExecutionRecord | None:
    """Enqueue and wait (bounded) for the final event; its record, when it carries one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + state.settings.wait_timeout_s
    try:
        async with state.hub.subscribe(execution_channel(execution_id), confirmed=False) as subscription:
            # The SUBSCRIBE is on its way before the job is: Redis has long taken it when the
            # executor publishes (and a missed event would only cost the quiet check below).
            await enqueue(state, execution_id, job, reservation)
            return await until_final(state, execution_id, subscription, deadline)
    except (RedisError, OSError):
        # Without Redis there is no live signal; the database still tells when it is done.
        await enqueue(state, execution_id, job, reservation)
        while loop.time() < deadline and not await _finished(state, execution_id):  # noqa: ASYNC110
            await asyncio.sleep(0.25)
    return None


async def until_final(
    state: GatewayState, execution_id: uuid.UUID, subscription: Subscription, deadline: float
) -> ExecutionRecord | None:
    """Follow ``subscription`` (the execution's channel) until its final event or ``deadline`` (loop
    time); the finished record when the event carries it (otherwise the database has it)."""
    loop = asyncio.get_running_loop()
    while (remaining := deadline - loop.time()) > 0:
        payload = await subscription.next(wait_s=min(remaining, state.settings.stream_idle_check_s))
        if payload is not None:
            event = Event.decode(payload)
            if event.is_final:
                return final_record(event)
            continue
        # Quiet for a while, or a gap: the database knows whether it finished meanwhile.
        subscription.take_gap()
        if await _finished(state, execution_id):
            return None
    return None


async def _finished(state: GatewayState, execution_id: uuid.UUID) -> bool:
    async with state.sessionmaker() as session:
        return await repo.status(session, execution_id) == ExecutionStatus.finished
