"""Who may call a route, declared in its signature: ``principal: SnippetsWrite`` resolves the caller
and refuses whoever the policy does not let through (401 / 403 problems) before the endpoint runs,
so endpoints and services receive an already-authorised principal. Whose object it is (owners,
admins, ``Principal.may_see``) stays with the endpoint or service that loads the object.

WebSocket routes declare a policy too (``ExecutionsWriteSocket``, ``ExecutionsReadSocket``), applied once the
socket is accepted: a refusal is then a close code the client can read, not a failed handshake.

Every route declares exactly one policy or is public (tests/unit/test_access_declared.py walks the
routes); ``POLICIES`` names the dependencies that declare one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, WebSocket

from services.gateway.auth.principal import SCOPE_PRINCIPAL, Principal, PrincipalDep, resolve_principal, unauthorized
from services.gateway.deps import StateDep
from services.gateway.state import GatewayState
from services.gateway.tickets import service as tickets
from shared.auth.scopes import Scope
from shared.problems import ProblemError
from shared.settings import GatewaySettings

# Anonymous callers: refused (401), allowed, or allowed while settings.anonymous_enabled.
Anonymous = Literal["refused", "allowed", "if_enabled"]


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    scopes: tuple[Scope, ...] = ()
    anonymous: Anonymous = "refused"
    # Some routes have only ever checked API keys' scopes (sessions are minted with every scope).
    keys_only: bool = False
    # Set: API keys are refused (403 session-required) with this detail, after the scope check.
    session_only: str | None = None

    def check(self, principal: Principal, settings: GatewaySettings) -> None:
        if principal.kind == "anonymous":
            if self.anonymous == "refused":
                raise unauthorized("Sign in or send an API key.")
            if self.anonymous == "if_enabled" and not settings.anonymous_enabled:
                raise unauthorized("Anonymous executions are disabled: sign in or send an API key.")
            return
        if principal.kind == "api_key" or not self.keys_only:
            for scope in self.scopes:
                principal.require(scope)
        if self.session_only is not None and principal.kind != "user":
            raise ProblemError(403, "session-required", "Session required", self.session_only)


# The dependencies that declare a policy, and which.
POLICIES: dict[Callable[..., Any], Policy] = {}


def _declared(policy: Policy) -> Callable[..., Awaitable[Principal]]:
    async def enforce(principal: PrincipalDep, state: StateDep) -> Principal:
        policy.check(principal, state.settings)
        return principal

    enforce.__name__ = enforce.__qualname__ = f"access_{policy.name}"
    POLICIES[enforce] = policy
    return enforce


Refusal = Callable[[ProblemError], Awaitable[None]]


async def _close(websocket: WebSocket, error: ProblemError) -> None:
    code = {401: 4401, 503: 4503}.get(error.status, 4403)
    await websocket.close(code, error.title)


async def _socket_principal(websocket: WebSocket, state: GatewayState) -> Principal:
    """A stream ticket (``?ticket=``, browsers: services/gateway/tickets) stands for its principal
    and replaces any other credentials; without one, the connection's own credentials."""
    ticket = websocket.query_params.get("ticket")
    if ticket is None:
        return await resolve_principal(websocket, state)
    principal = await tickets.redeem(state.redis, ticket, websocket.path_params.get("execution_id"))
    # What the rest of the socket's life resolves (its admission, rate limits) is the ticket's principal.
    websocket.scope[SCOPE_PRINCIPAL] = principal
    return principal


@dataclass(frozen=True, slots=True)
class SocketAccess:
    """A WebSocket route's policy, for its handler to apply once it accepted the socket."""

    policy: Policy
    state: GatewayState

    async def admit(self, websocket: WebSocket, refuse: Refusal | None = None) -> Principal | None:
        """The caller, or None once refused: bad credentials (or stream tickets) close with 4401 /
        4403; a caller the policy does not let through goes to ``refuse`` (by default closed the same way)."""
        try:
            principal = await _socket_principal(websocket, self.state)
        except ProblemError as error:
            await _close(websocket, error)
            return None
        try:
            self.policy.check(principal, self.state.settings)
        except ProblemError as error:
            await (_close(websocket, error) if refuse is None else refuse(error))
            return None
        return principal


def _declared_socket(policy: Policy) -> Callable[..., Awaitable[SocketAccess]]:
    async def gate(state: StateDep) -> SocketAccess:
        return SocketAccess(policy, state)

    gate.__name__ = gate.__qualname__ = f"socket_access_{policy.name}"
    POLICIES[gate] = policy
    return gate


EXECUTIONS_READ = Policy("executions_read", (Scope.executions_read,))
EXECUTIONS_READ_OPEN = Policy("executions_read_open", (Scope.executions_read,), anonymous="allowed", keys_only=True)
EXECUTIONS_WRITE = Policy("executions_write", (Scope.executions_write,), anonymous="if_enabled")
SNIPPETS_READ = Policy("snippets_read", (Scope.snippets_read,))
SNIPPETS_READ_OPEN = Policy("snippets_read_open", (Scope.snippets_read,), anonymous="allowed")
SNIPPETS_WRITE = Policy("snippets_write", (Scope.snippets_write,))
SNIPPETS_RUN = Policy("snippets_run", (Scope.snippets_read, Scope.executions_write))
ACCOUNT_READ = Policy("account_read", (Scope.account_read,))
ACCOUNT_READ_OPEN = Policy("account_read_open", (Scope.account_read,), anonymous="allowed", keys_only=True)
# Anyone, credentials optional and any scope: other APIs' informational routes whose answer
# depends on who asks (Judge0's config_info, authenticate).
CALLER_OPEN = Policy("caller_open", anonymous="allowed")
ACCOUNT_SESSION = Policy(
    "account_session", (Scope.account_read,), session_only="Rotate the secret from a signed-in session."
)
# Any account, any scope: a stream ticket carries its minter's scopes, and the socket it opens checks them.
STREAM_TICKETS = Policy("stream_tickets")

# An account with executions:read (history, analytics).
ExecutionsRead = Annotated[Principal, Depends(_declared(EXECUTIONS_READ))]
# Anyone (executions by id); API keys need executions:read.
ExecutionsReadOpen = Annotated[Principal, Depends(_declared(EXECUTIONS_READ_OPEN))]
# Anonymous callers while allowed by the settings; accounts need executions:write.
ExecutionsWrite = Annotated[Principal, Depends(_declared(EXECUTIONS_WRITE))]
# An account with snippets:read (its own snippets).
SnippetsRead = Annotated[Principal, Depends(_declared(SNIPPETS_READ))]
# Anyone (public and shared snippets); accounts need snippets:read.
SnippetsReadOpen = Annotated[Principal, Depends(_declared(SNIPPETS_READ_OPEN))]
# An account with snippets:write.
SnippetsWrite = Annotated[Principal, Depends(_declared(SNIPPETS_WRITE))]
# An account with snippets:read and executions:write.
SnippetsRun = Annotated[Principal, Depends(_declared(SNIPPETS_RUN))]
# An account with account:read.
AccountRead = Annotated[Principal, Depends(_declared(ACCOUNT_READ))]
# Anyone (their own limits); API keys need account:read.
AccountReadOpen = Annotated[Principal, Depends(_declared(ACCOUNT_READ_OPEN))]
# Anyone; credentials, when sent, must be valid.
CallerOpen = Annotated[Principal, Depends(_declared(CALLER_OPEN))]
# A signed-in session with account:read: no API key.
AccountSession = Annotated[Principal, Depends(_declared(ACCOUNT_SESSION))]
# Any account (a session, an access token or an API key).
StreamTicketsMint = Annotated[Principal, Depends(_declared(STREAM_TICKETS))]

ExecutionsWriteSocket = Annotated[SocketAccess, Depends(_declared_socket(EXECUTIONS_WRITE))]
# Anyone may stream an execution they can see (Principal.may_see); API keys need executions:read,
# as for GET /v1/executions/{id}: the stream carries the same output.
ExecutionsReadSocket = Annotated[SocketAccess, Depends(_declared_socket(EXECUTIONS_READ_OPEN))]
# A collaborative session's socket: guests too (a participant token); services/gateway/collab/access.py
# admits only the session's participants, and principals need snippets:read.
SnippetsReadOpenSocket = Annotated[SocketAccess, Depends(_declared_socket(SNIPPETS_READ_OPEN))]
