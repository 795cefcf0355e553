"""Access policy is declared on the routes (services/gateway/auth/access.py). These checks walk the
gateway's real routes, HTTP and WebSocket, so a new route that forgets to say who may call it fails
here instead of serving everyone; and they pin each policy's rules on plain principals."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route
from starlette.websockets import WebSocketDisconnect

from services.gateway.app import create_app
from services.gateway.auth import access
from services.gateway.auth.access import POLICIES, Policy
from services.gateway.auth.principal import ANONYMOUS, Principal
from services.gateway.compat.common import is_compat_path
from shared.auth.scopes import ALL_SCOPES, Scope
from shared.problems import ProblemError
from tests.conftest import gateway_settings

# Routes that serve anyone and read no credentials (probes, catalogue, documents, the web app and,
# in development, the proxy to the auth service, which authenticates on its own).
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/languages",
    "/v1/analyses/tools",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/auth/v1/{path:path}",
    "",
    # Judge0's informational routes (services/gateway/compat/judge0).
    "/judge0/about",
    "/judge0/version",
    "/judge0/statuses",
    "/judge0/system_info",
    "/judge0/languages",
    "/judge0/languages/all",
    "/judge0/languages/{language_id}",
    # Piston's runtimes list (services/gateway/compat/piston).
    "/api/v2/runtimes",
}

# Who may call each route: a change of access shows up here, in review.
EXPECTED = {
    ("POST", "/v1/executions"): access.EXECUTIONS_WRITE,
    ("GET", "/v1/executions"): access.EXECUTIONS_READ,
    ("GET", "/v1/executions/{execution_id}"): access.EXECUTIONS_READ_OPEN,
    ("GET", "/v1/executions/{execution_id}/submission"): access.EXECUTIONS_READ_OPEN,
    ("GET", "/v1/executions/{execution_id}/files/{name:path}"): access.EXECUTIONS_READ_OPEN,
    ("POST", "/v1/executions/{execution_id}/cancel"): access.EXECUTIONS_WRITE,
    ("WS", "/v1/executions/interactive"): access.EXECUTIONS_WRITE,
    ("WS", "/v1/executions/{execution_id}/stream"): access.EXECUTIONS_READ_OPEN,
    ("POST", "/v1/batches"): access.EXECUTIONS_WRITE,
    ("GET", "/v1/batches/{batch_id}"): access.EXECUTIONS_READ_OPEN,
    ("GET", "/v1/analytics/languages"): access.EXECUTIONS_READ,
    ("GET", "/v1/analytics/timeline"): access.EXECUTIONS_READ,
    ("GET", "/v1/analytics/verdicts"): access.EXECUTIONS_READ,
    ("GET", "/v1/analytics/run-stats"): access.EXECUTIONS_READ,
    ("GET", "/v1/analytics/code-metrics"): access.EXECUTIONS_READ,
    ("POST", "/v1/snippets"): access.SNIPPETS_WRITE,
    ("GET", "/v1/snippets"): access.SNIPPETS_READ,
    ("GET", "/v1/snippets/public"): access.SNIPPETS_READ_OPEN,
    ("GET", "/v1/snippets/shared/{token}"): access.SNIPPETS_READ_OPEN,
    ("POST", "/v1/snippets/shared/{token}/fork"): access.SNIPPETS_WRITE,
    ("GET", "/v1/snippets/{snippet_id}"): access.SNIPPETS_READ_OPEN,
    ("PATCH", "/v1/snippets/{snippet_id}"): access.SNIPPETS_WRITE,
    ("DELETE", "/v1/snippets/{snippet_id}"): access.SNIPPETS_WRITE,
    ("GET", "/v1/snippets/{snippet_id}/revisions"): access.SNIPPETS_READ_OPEN,
    ("GET", "/v1/snippets/{snippet_id}/revisions/{number}"): access.SNIPPETS_READ_OPEN,
    ("POST", "/v1/snippets/{snippet_id}/fork"): access.SNIPPETS_WRITE,
    ("POST", "/v1/snippets/{snippet_id}/run"): access.SNIPPETS_RUN,
    # Collaborative sessions: the owner's changes need snippets:write; reading and joining are open
    # (guests), and the service admits only the owner, participants and invite holders.
    ("POST", "/v1/snippets/{snippet_id}/sessions"): access.SNIPPETS_WRITE,
    ("GET", "/v1/collab/sessions/{session_id}"): access.SNIPPETS_READ_OPEN,
    ("PATCH", "/v1/collab/sessions/{session_id}"): access.SNIPPETS_WRITE,
    ("DELETE", "/v1/collab/sessions/{session_id}"): access.SNIPPETS_WRITE,
    ("POST", "/v1/collab/sessions/{session_id}/invites"): access.SNIPPETS_WRITE,
    ("GET", "/v1/collab/sessions/{session_id}/invites"): access.SNIPPETS_WRITE,
    ("DELETE", "/v1/collab/sessions/{session_id}/invites/{invite_id}"): access.SNIPPETS_WRITE,
    ("PUT", "/v1/collab/sessions/{session_id}/users/{user_id}"): access.SNIPPETS_WRITE,
    ("DELETE", "/v1/collab/sessions/{session_id}/participants/{participant_id}"): access.SNIPPETS_WRITE,
    ("POST", "/v1/collab/sessions/{session_id}/join"): access.SNIPPETS_READ_OPEN,
    # The y-websocket socket; its client appends a room name, which the second route takes and ignores.
    ("WS", "/v1/collab/sessions/{session_id}/socket"): access.SNIPPETS_READ_OPEN,
    ("WS", "/v1/collab/sessions/{session_id}/socket/{room}"): access.SNIPPETS_READ_OPEN,
    # WebRTC between participants (issue 21): its configuration, and the signaling socket.
    ("GET", "/v1/collab/sessions/{session_id}/rtc"): access.SNIPPETS_READ_OPEN,
    ("WS", "/v1/collab/sessions/{session_id}/signal"): access.SNIPPETS_READ_OPEN,
    ("POST", "/v1/collab/sessions/{session_id}/runs"): access.EXECUTIONS_WRITE,
    ("POST", "/v1/collab/sessions/{session_id}/save"): access.SNIPPETS_WRITE,
    ("POST", "/v1/collab/sessions/{session_id}/runs/{execution_id}/input"): access.EXECUTIONS_WRITE,
    ("GET", "/v1/collab/sessions/{session_id}/runs/current"): access.SNIPPETS_READ_OPEN,
    ("POST", "/v1/collab/sessions/{session_id}/runs/{execution_id}/cancel"): access.EXECUTIONS_WRITE,
    ("WS", "/v1/collab/sessions/{session_id}/runs/{execution_id}/stream"): access.SNIPPETS_READ_OPEN,
    ("GET", "/v1/webhooks/secret"): access.ACCOUNT_READ,
    ("POST", "/v1/webhooks/secret/rotate"): access.ACCOUNT_SESSION,
    ("GET", "/v1/limits"): access.ACCOUNT_READ_OPEN,
    ("GET", "/v1/config"): access.CALLER_OPEN,
    ("POST", "/v1/stream-tickets"): access.STREAM_TICKETS,
    # Code analysis: as creating an execution (anonymous callers while allowed); the result by its key.
    ("POST", "/v1/analyses"): access.EXECUTIONS_WRITE,
    ("GET", "/v1/analyses/{analysis_id}"): access.EXECUTIONS_WRITE,
    # The Judge0 CE shape (docs/compat.md).
    ("GET", "/judge0/config_info"): access.CALLER_OPEN,
    ("POST", "/judge0/authenticate"): access.CALLER_OPEN,
    ("POST", "/judge0/authorize"): access.CALLER_OPEN,
    ("POST", "/judge0/submissions"): access.EXECUTIONS_WRITE,
    ("GET", "/judge0/submissions"): access.EXECUTIONS_READ,
    ("POST", "/judge0/submissions/batch"): access.EXECUTIONS_WRITE,
    ("GET", "/judge0/submissions/batch"): access.EXECUTIONS_READ_OPEN,
    ("GET", "/judge0/submissions/{token}"): access.EXECUTIONS_READ_OPEN,
    ("DELETE", "/judge0/submissions/{token}"): access.EXECUTIONS_WRITE,
    # The Piston v2 shape (docs/compat.md).
    ("POST", "/api/v2/execute"): access.EXECUTIONS_WRITE,
    ("WS", "/api/v2/connect"): access.EXECUTIONS_WRITE,
}


def _routes() -> list[BaseRoute]:
    """Every route of the gateway (the development auth proxy included), through included routers."""
    found: list[BaseRoute] = []
    pending: list[BaseRoute] = list(create_app(gateway_settings(auth_proxy_url="http://127.0.0.1:1")).routes)
    while pending:
        route = pending.pop()
        if (router := getattr(route, "original_router", None)) is not None:
            pending.extend(router.routes)
        else:
            found.append(route)
    return found


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _policies(route: APIRoute | APIWebSocketRoute) -> list[Policy]:
    return [POLICIES[d.call] for d in _dependants(route.dependant) if d.call in POLICIES]


def _keys(route: APIRoute | APIWebSocketRoute) -> list[tuple[str, str]]:
    methods = sorted(route.methods or ()) if isinstance(route, APIRoute) else ["WS"]
    return [(method, route.path) for method in methods]


def test_every_route_declares_one_policy_or_is_public() -> None:
    declared: dict[tuple[str, str], Policy] = {}
    public: set[str] = set()
    for route in _routes():
        if isinstance(route, APIRoute | APIWebSocketRoute) and route.path not in PUBLIC:
            # Sub-dependencies are listed once per use; a policy may be reached twice, never two policies.
            policies = set(_policies(route))
            assert len(policies) == 1, f"{_keys(route)} declares {sorted(p.name for p in policies)}"
            declared.update(dict.fromkeys(_keys(route), policies.pop()))
        else:
            assert isinstance(route, APIRoute | Route | Mount)
            assert route.path in PUBLIC, f"{route.path!r} declares no access policy"
            if isinstance(route, APIRoute):
                assert not _policies(route)
            public.add(route.path)
    assert declared == EXPECTED
    # The allow-list stays short and true: every entry is a route of the gateway.
    assert public == PUBLIC


def test_declared_routes_are_documented_as_authenticated() -> None:
    # The policies resolve the principal through resolve_principal, which the OpenAPI document reads.
    paths = create_app(gateway_settings()).openapi()["paths"]
    for (method, path), policy in EXPECTED.items():
        # Other APIs' shapes (docs/compat.md) stay out of our document.
        if method != "WS" and not is_compat_path(path):
            # OpenAPI names a path parameter without its converter ({name:path} is {name}).
            operation = paths[path.replace(":path}", "}")][method.lower()]
            assert "security" not in operation, (method, path, policy.name)
            assert {"401", "403"} <= set(operation["responses"])
    assert paths["/v1/languages"]["get"]["security"] == []


USER = Principal("user", uuid.uuid4(), scopes=ALL_SCOPES)
# A session minted before some scope existed holds fewer than every scope.
SCOPELESS_USER = Principal("user", uuid.uuid4())


def _key(*scopes: Scope) -> Principal:
    return Principal("api_key", uuid.uuid4(), scopes=frozenset(s.value for s in scopes))


def _refusal(policy: Policy, principal: Principal, anonymous_enabled: bool = True) -> tuple[int, str] | None:
    try:
        policy.check(principal, gateway_settings(anonymous_enabled=anonymous_enabled))
    except ProblemError as error:
        return error.status, error.detail or ""
    return None


def test_anonymous_callers() -> None:
    assert _refusal(access.SNIPPETS_WRITE, ANONYMOUS) == (401, "Sign in or send an API key.")
    assert _refusal(access.SNIPPETS_RUN, ANONYMOUS) == (401, "Sign in or send an API key.")
    assert _refusal(access.SNIPPETS_READ_OPEN, ANONYMOUS) is None
    assert _refusal(access.EXECUTIONS_READ_OPEN, ANONYMOUS) is None
    assert _refusal(access.EXECUTIONS_WRITE, ANONYMOUS) is None
    assert _refusal(access.EXECUTIONS_WRITE, ANONYMOUS, anonymous_enabled=False) == (
        401,
        "Anonymous executions are disabled: sign in or send an API key.",
    )


@pytest.mark.parametrize(
    ("policy", "missing"),
    [
        (access.EXECUTIONS_READ, Scope.executions_read),
        (access.EXECUTIONS_READ_OPEN, Scope.executions_read),
        (access.EXECUTIONS_WRITE, Scope.executions_write),
        (access.SNIPPETS_READ_OPEN, Scope.snippets_read),
        (access.SNIPPETS_RUN, Scope.executions_write),
        (access.ACCOUNT_READ_OPEN, Scope.account_read),
        (access.ACCOUNT_SESSION, Scope.account_read),
    ],
)
def test_api_keys_need_the_scopes(policy: Policy, missing: Scope) -> None:
    others = [scope for scope in Scope if scope is not missing]
    assert _refusal(policy, _key(*others)) == (403, f"This needs the {missing.value} scope.")


def test_scopes_are_checked_in_order_and_sessions_only_where_asked() -> None:
    assert _refusal(access.SNIPPETS_RUN, _key()) == (403, "This needs the snippets:read scope.")
    assert _refusal(access.SNIPPETS_RUN, _key(Scope.snippets_read, Scope.executions_write)) is None
    assert _refusal(access.ACCOUNT_SESSION, _key(*Scope)) == (403, "Rotate the secret from a signed-in session.")
    assert _refusal(access.ACCOUNT_SESSION, USER) is None
    assert _refusal(access.ACCOUNT_READ, _key(Scope.account_read)) is None


def test_keys_only_policies_leave_sessions_unchecked() -> None:
    assert _refusal(access.EXECUTIONS_READ_OPEN, SCOPELESS_USER) is None
    assert _refusal(access.ACCOUNT_READ_OPEN, SCOPELESS_USER) is None
    assert _refusal(access.SNIPPETS_READ_OPEN, SCOPELESS_USER) == (403, "This needs the snippets:read scope.")
    # The stream carries what GET /v1/executions/{id} does: API keys need executions:read for both.
    assert _refusal(access.EXECUTIONS_READ_OPEN, _key()) == (403, "This needs the executions:read scope.")
    assert _refusal(access.EXECUTIONS_READ_OPEN, _key(Scope.executions_read)) is None


def test_websocket_policies_refuse_after_the_handshake() -> None:
    # In-process: these refusals need no database, Redis or auth service.
    with TestClient(create_app(gateway_settings(anonymous_enabled=False))) as client:
        with client.websocket_connect("/v1/executions/interactive") as socket:
            assert socket.receive_json() == {
                "type": "error",
                "problem": {
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": "Anonymous executions are disabled: sign in or send an API key.",
                },
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
        assert closed.value.code == 4400
        for path in ("/v1/executions/interactive", f"/v1/executions/{uuid.uuid4()}/stream"):
            refused = client.websocket_connect(path, headers={"Authorization": "Basic eDp5"})
            with refused as socket, pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
            assert (closed.value.code, closed.value.reason) == (4401, "Unauthorized"), path
