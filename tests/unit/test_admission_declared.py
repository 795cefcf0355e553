"""Admission is declared on the routes (services/gateway/ratelimit/wiring.py): a route that creates
executions says so in its signature, or it is charged as an ordinary write. These checks walk the
gateway's real routes, so a new creating route that forgets the declaration fails here instead of
silently skipping the executions budget, the queue bound and the in-flight cap."""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute

from services.gateway.app import create_app
from services.gateway.executions import submission
from services.gateway.ratelimit.wiring import admits_itself, admitted_execution, self_admitted
from tests.conftest import gateway_settings

# The routes that create executions today; the interactive WebSocket admits itself in its handler.
CREATING = {
    ("POST", "/v1/executions"): admitted_execution,
    ("POST", "/v1/snippets/{snippet_id}/run"): admitted_execution,
    ("POST", "/v1/batches"): self_admitted,
    # Judge0's and Piston's shapes (services/gateway/compat).
    ("POST", "/judge0/submissions"): admitted_execution,
    ("POST", "/judge0/submissions/batch"): self_admitted,
    ("POST", "/api/v2/execute"): admitted_execution,
    # A collaborative session's shared run (services/gateway/collab/runs.py).
    ("POST", "/v1/collab/sessions/{session_id}/runs"): admitted_execution,
}


def _routes() -> list[APIRoute]:
    """Every API route of the gateway, through the routers it includes (what the request's scope
    names as its route)."""
    found: list[APIRoute] = []
    pending: list[object] = list(create_app(gateway_settings()).routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        elif (router := getattr(route, "original_router", None)) is not None:
            pending.extend(router.routes)
    return found


def _calls(route: APIRoute) -> set[object]:
    found: set[object] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.add(dependant.call)
        pending.extend(dependant.dependencies)
    return found


def test_the_creating_routes_declare_their_admission() -> None:
    declared = {
        (method, route.path): call
        for route in _routes()
        for method in route.methods or ()
        for call in (admitted_execution, self_admitted)
        if call in _calls(route)
    }
    assert declared == CREATING


def test_every_route_that_submits_declares_an_admission() -> None:
    # Whatever persists or submits executions goes through the submission service (directly, or
    # through compat.common.run_to_end); a route whose handler calls it must have declared how it
    # is admitted (and is then not charged as a write).
    calls = ("submission.submit(", "submission.persist(", "submission.persist_batch(", "run_to_end(")
    submitting = [route for route in _routes() if any(call in inspect.getsource(route.endpoint) for call in calls)]
    assert {(next(iter(route.methods or ())), route.path) for route in submitting} == set(CREATING)
    assert all(admits_itself(route) for route in submitting)
    assert callable(submission.submit)


def test_other_routes_are_charged_by_their_method() -> None:
    others = [route for route in _routes() if route.path.startswith("/v1/") and not admits_itself(route)]
    assert others, "the gateway has ordinary /v1/ routes"
    assert not {(method, route.path) for route in others for method in (route.methods or ())} & set(CREATING)
