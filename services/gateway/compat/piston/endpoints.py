"""Piston v2 (engineer-man/piston) at /api/v2: unmodified Piston clients run code here
(docs/compat.md). Errors are Piston's ``{"message": ...}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.gateway.auth.access import ExecutionsWrite
from services.gateway.compat.common import PISTON_PREFIX, dialect_route, json_body, run_to_end
from services.gateway.compat.piston import service
from services.gateway.compat.piston.runtimes import catalogue
from services.gateway.compat.piston.socket import connect
from services.gateway.deps import SessionDep, StateDep
from services.gateway.executions.queueing import versions_or_empty
from services.gateway.executions.service import prepare_execution
from services.gateway.ratelimit.wiring import AdmittedExecution

router = APIRouter(prefix=PISTON_PREFIX, route_class=dialect_route(service.render))


@router.get("/runtimes")
async def runtimes(state: StateDep) -> JSONResponse:
    versions = await versions_or_empty(state)
    return JSONResponse([runtime.out() for runtime in catalogue(versions)])


@router.post("/execute")
async def execute(
    request: Request,
    state: StateDep,
    reservation: AdmittedExecution,
    session: SessionDep,
    principal: ExecutionsWrite,
) -> JSONResponse:
    # Any content type: piston-client posts its JSON as text/plain.
    body = await json_body(request)
    versions = await versions_or_empty(state)
    job = service.read_job(body, catalogue(versions), state.settings, principal.user_id)
    execution = await prepare_execution(job.payload, state.settings, versions, user_id=principal.user_id)
    execution.api_options = job.api_options()
    record = await run_to_end(state, session, execution, reservation)
    return service.respond(job, record)


router.add_api_websocket_route("/connect", connect)
