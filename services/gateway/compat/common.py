"""What the Judge0 CE and Piston v2 dialects share (docs/compat.md).

Both are other shapes of the one submission path (executions/submission.py): every execution they
create is admitted, charged, persisted before it is queued, and visible in history like a native
one. They differ from the native API in three ways handled here:

- Credentials come from headers only. Their clients send an API key in ``X-Auth-Token`` (Judge0's
  header; the name is a setting) or ``Authorization: Bearer``; cookies are dropped, because these
  routes accept bodies a browser may send cross-site without a preflight (piston-client posts
  JSON as text/plain), so a session cookie must never ride along.
- Errors keep each dialect's shape (``{"error": ...}``, ``{"field": [...]}``, ``{"message": ...}``):
  a route class turns the gateway's problems into them.
- Bodies are parsed by the routes themselves, so a malformed one is answered in the dialect too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.executions import repository as repo
from services.gateway.executions import submission
from services.gateway.ratelimit.admission import Reservation
from services.gateway.state import GatewayState
from shared.db.models import Execution
from shared.db.records import execution_job
from shared.executions import ExecutionRecord
from shared.problems import FieldError, ProblemError

JUDGE0_PREFIX = "/judge0"
PISTON_PREFIX = "/api/v2"
PREFIXES = (JUDGE0_PREFIX, PISTON_PREFIX)


def is_compat_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)


class CompatCredentialsMiddleware:
    """On the dialects' routes: ``<auth header>: <key>`` becomes ``Authorization: Bearer <key>``
    (unless one was sent), and the Cookie header is dropped (see the module docstring)."""

    def __init__(self, app: ASGIApp, auth_header: str = "X-Auth-Token") -> None:
        self.app = app
        self.auth_header = auth_header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and is_compat_path(scope.get("path", "")):
            headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
            names = {k for k, _ in headers}
            token = next((v for k, v in headers if k == self.auth_header), None)
            if token and token.strip() and b"authorization" not in names:
                headers.append((b"authorization", b"Bearer " + token.strip()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


ErrorRenderer = Callable[[ProblemError], Response]


def dialect_route(render: ErrorRenderer) -> type[APIRoute]:
    """A route class answering the gateway's problems (auth, rate limits, validation) in a dialect."""

    class DialectRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def route(request: Request) -> Response:
                try:
                    return await handler(request)
                except ProblemError as problem:
                    return render(problem)
                except RequestValidationError as exc:
                    errors = [
                        FieldError(loc=[str(p) for p in err["loc"]], msg=err["msg"], type=err["type"])
                        for err in exc.errors()
                    ]
                    return render(ProblemError(422, "validation-error", "Request validation failed", errors=errors))

            return route

    return DialectRoute


def field_name(error: FieldError) -> str:
    """A field error's field, without its source ("body", "query"): ``limits.memory_mb``."""
    loc = [str(part) for part in error.loc]
    if loc and loc[0] in ("body", "query", "header", "path"):
        loc = loc[1:]
    return ".".join(loc) or "request"


async def json_body(request: Request) -> Any:
    """The request's JSON, whatever its declared content type (piston-client sends text/plain)."""
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:
        raise ProblemError(400, "bad-request", "Bad request", "the body is not valid JSON") from exc


async def run_to_end(
    state: GatewayState, session: AsyncSession, execution: Execution, reservation: Reservation | None
) -> ExecutionRecord:
    """Persist, queue and wait (bounded by wait_timeout_s) for an execution; its record, finished
    unless the wait ended first."""
    await submission.persist(session, execution)
    record = await submission.wait_for_result(state, execution.id, execution_job(execution), reservation)
    return record or await load(state, execution.id) or _gone(execution.id)


async def load(state: GatewayState, execution_id: uuid.UUID) -> ExecutionRecord | None:
    async with state.sessionmaker() as session:
        return await repo.load_record(session, execution_id)


def _gone(execution_id: uuid.UUID) -> ExecutionRecord:
    # Only an execution deleted while its caller waited gets here.
    raise ProblemError(404, "not-found", "Not found", f"execution {execution_id} no longer exists")
