"""Rate limits applied app-wide, without any endpoint asking: one dependency on every route decides
the budget from the method and the route template, a small middleware puts the RateLimit headers
on whatever response follows (errors included), and the OpenAPI document describes them.

Routes that create executions declare their admission instead, and are not charged here: one
execution (``AdmittedExecution``: POST /v1/executions, POST /v1/snippets/{id}/run; admission.py
takes the budget, queue room and an in-flight slot in one round trip, before the route builds
anything), or their own count (``SelfAdmitted``: POST /v1/batches, one per item once validated).
The interactive WebSocket calls admit_execution itself. POST /v1/analyses declares its own too
(``AdmittedAnalysis``: the analyses budget, apart from executions and writes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.auth.principal import ANONYMOUS, Principal, resolve_principal
from services.gateway.deps import StateDep
from services.gateway.ratelimit.admission import Reservation, admit, reserve
from services.gateway.ratelimit.service import (
    Budget,
    Caller,
    InFlight,
    Limiter,
    Usage,
    caller_of,
    charge,
)
from services.gateway.state import GatewayState
from shared.problems import ProblemError

# Where a request's RateLimit headers wait for its response (a dict shared through the ASGI scope).
SCOPE_KEY = "crh.rate_limit_headers"
# The native API and the Judge0 and Piston dialects (compat/common.py).
LIMITED_PREFIXES = ("/v1/", "/judge0/", "/api/v2/")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def budget_for(connection: HTTPConnection) -> Budget | None:
    """The budget a request is charged here: None for routes that declare their own admission
    (``AdmittedExecution``, ``SelfAdmitted``); else reads or writes by its method."""
    route = connection.scope.get("route")
    if isinstance(route, APIRoute) and admits_itself(route):
        return None
    return Budget.reads if connection.scope["method"] in READ_METHODS else Budget.writes


def limiter(connection: HTTPConnection, state: GatewayState) -> Limiter:
    """The app's limiter, made on first use for the Redis client of the running lifespan."""
    current: Limiter | None = getattr(connection.app.state, "rate_limiter", None)
    if current is None or current.redis is not state.redis:
        current = Limiter(state.redis, state.settings.redis_url.get_secret_value())
        connection.app.state.rate_limiter = current
    return current


def publish(connection: HTTPConnection, usage: Usage | None) -> None:
    """Put ``usage``'s headers on this request's response."""
    holder = connection.scope.get(SCOPE_KEY)
    if usage is not None and isinstance(holder, dict):
        holder.update(usage.headers())


async def identify(connection: HTTPConnection, state: GatewayState) -> Caller:
    try:
        principal: Principal = await resolve_principal(connection, state)
    except ProblemError:
        # Bad credentials are refused by the endpoint; until then the caller is its address.
        principal = ANONYMOUS
    return caller_of(connection, principal, state.settings)


async def charge_request(
    connection: HTTPConnection, state: GatewayState, caller: Caller, budget: Budget, cost: int = 1
) -> None:
    """Charge this request's budget (429 when exhausted) and report it in the response headers."""
    usage = await charge(state, limiter(connection, state), caller, budget, cost)
    publish(connection, usage)


async def enforce_rate_limits(connection: HTTPConnection, state: StateDep) -> None:
    path = str(connection.scope.get("path", ""))
    if (
        connection.scope["type"] != "http"
        or not path.startswith(LIMITED_PREFIXES)
        or (budget := budget_for(connection)) is None
        or not state.settings.rate_limits_enabled
    ):
        return
    await charge_request(connection, state, await identify(connection, state), budget)


async def admit_execution(connection: HTTPConnection, state: GatewayState) -> Reservation | None:
    """Everything a request or WebSocket creating one execution passes first: the caller's
    execution budget (429), the queue bound (503) and the caller's in-flight cap (429, else a slot
    reserved; None when limits are off)."""
    caller = await identify(connection, state) if state.settings.rate_limits_enabled else None
    usage, reservation = await reserve(state, caller)
    publish(connection, usage)
    return reservation


async def admit_batch(connection: HTTPConnection, state: GatewayState, members: Sequence[str]) -> InFlight | None:
    """A batch's admission: one execution of budget and one in-flight slot per execution id (the
    caller's in-flight set, to release them if the batch cannot be stored; None without limits)."""
    caller = await identify(connection, state) if state.settings.rate_limits_enabled else None
    publish(connection, await admit(state, caller, members))
    return InFlight(state, caller) if caller is not None else None


async def admitted_execution(connection: HTTPConnection, state: StateDep) -> AsyncIterator[Reservation | None]:
    """What a route that creates one execution declares (``AdmittedExecution``): admitted before
    the route builds anything, and the request's in-flight reservation, which the submission
    settles when it queues the execution; released if the request created none."""
    reservation = await admit_execution(connection, state)
    try:
        yield reservation
    finally:
        if reservation is not None:
            await reservation.release()


async def admitted_analysis(connection: HTTPConnection, state: StateDep) -> Caller | None:
    """What a route requesting an analysis declares (``AdmittedAnalysis``): the caller's analyses
    budget, charged before anything else (cache hits count; 429 when exhausted). The caller, whose
    in-flight cap the analysis takes a slot of if it runs (None when limits are off)."""
    if not state.settings.rate_limits_enabled:
        return None
    caller = await identify(connection, state)
    await charge_request(connection, state, caller, Budget.analyses)
    return caller


async def self_admitted() -> None:
    """What a route that admits its executions itself declares (``SelfAdmitted``), once it knows
    how many (a batch: one execution of budget and one in-flight slot per item, admit_batch)."""


AdmittedExecution = Annotated[Reservation | None, Depends(admitted_execution)]
SelfAdmitted = Depends(self_admitted)
AdmittedAnalysis = Annotated[Caller | None, Depends(admitted_analysis)]
ADMISSIONS = (admitted_execution, self_admitted, admitted_analysis)


def _declares(dependant: Dependant, calls: tuple[Callable[..., Any], ...]) -> bool:
    return dependant.call in calls or any(_declares(sub, calls) for sub in dependant.dependencies)


# Per route object (routes are not hashable; the route is kept to tell a reused id apart).
_ADMITS_ITSELF: dict[int, tuple[APIRoute, bool]] = {}


def admits_itself(route: APIRoute) -> bool:
    """Whether the route declares an admission of its own (then the method's budget is not charged)."""
    known = _ADMITS_ITSELF.get(id(route))
    if known is None or known[0] is not route:
        known = _ADMITS_ITSELF[id(route)] = (route, _declares(route.dependant, ADMISSIONS))
    return known[1]


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder: dict[str, str] = {}
        scope[SCOPE_KEY] = holder

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and holder:
                headers = MutableHeaders(scope=message)
                for name, value in holder.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _int_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


SUCCESS_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": 'The budget this request was charged to, e.g. `"reads";q=600;w=60` (quota, window in seconds).',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of it, e.g. `"reads";r=599;t=60` (remaining, seconds until the window resets).',
        "schema": {"type": "string"},
    },
    "RateLimit-Limit": _int_header("Requests (or executions) the budget allows per window."),
    "RateLimit-Remaining": _int_header("What is left of the budget in the current window."),
    "RateLimit-Reset": _int_header("Seconds until the budget's oldest use leaves the window."),
}


def _document_headers(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        document = generate()
        for path, item in document.get("paths", {}).items():
            if not path.startswith(LIMITED_PREFIXES):
                continue
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                for code, response in operation.get("responses", {}).items():
                    if code.startswith("2") or code == "429":
                        response["headers"] = {**SUCCESS_HEADERS, **response.get("headers", {})}
        return document

    return openapi


def install_rate_limits(app: FastAPI) -> None:
    """Call before including routers (they copy the app's dependencies when included)."""
    app.router.dependencies.append(Depends(enforce_rate_limits))
    app.add_middleware(RateLimitHeadersMiddleware)
    app.openapi = _document_headers(app.openapi)  # type: ignore[method-assign]
