"""Participant credentials, and who a session's WebSocket admits.

A join hands the participant a random token (``crhp_...``), as the ``crh_collab`` cookie scoped to
the session's path and in the answer (``socket_token``). Redis holds it under its SHA-256, as it
holds stream tickets, mapped to the session and participant. Unlike a stream ticket it is reusable
until it expires: y-websocket reconnects with the same URL, again and again, and a single-use
credential cannot survive that.

A socket is admitted with that token (cookie or ``?token=``), or as a signed-in principal
(``Authorization``, the session cookie, or a stream ticket) that has a participant row. Either way
the participant and session rows are read again from PostgreSQL on every admission, so a
revocation or role change since the join counts."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from fastapi import WebSocket
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.gateway.auth.principal import SCOPE_PRINCIPAL, Principal, resolve_principal
from services.gateway.collab import repository as repo
from services.gateway.state import GatewayState
from services.gateway.tickets import service as tickets
from shared.auth.cookies import ACCESS_COOKIE
from shared.auth.scopes import Scope
from shared.db.models import CollabParticipant, CollabSession
from shared.problems import ProblemError
from shared.redis_keys import collab_participant_token

COOKIE = "crh_collab"
TOKEN_PREFIX = "crhp_"  # noqa: S105  (a prefix, not a secret)
# 32 random bytes, URL-safe: what token_urlsafe(32) gives.
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}$")

# Close codes (docs/api.md): y-websocket treats 4400-4499 as final and stops reconnecting.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_ENDED = 4410
CLOSE_UNAVAILABLE = 4503


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Whom a participant token stands for."""

    session_id: uuid.UUID
    participant_id: uuid.UUID


def _key(token: str) -> str:
    return collab_participant_token(hashlib.sha256(token.encode()).hexdigest())


async def issue_token(redis: Redis, holder: TokenHolder, ttl_s: int) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    held = {"session_id": str(holder.session_id), "participant_id": str(holder.participant_id)}
    await redis.set(_key(token), json.dumps(held), ex=ttl_s)
    return token


async def renew_token(redis: Redis, token: str, ttl_s: int) -> bool:
    """Restart a token's TTL; False when it is gone (expired meanwhile)."""
    return bool(_TOKEN.match(token)) and bool(await redis.expire(_key(token), ttl_s))


async def token_holder(redis: Redis, token: str | None, *, refresh_s: int | None = None) -> TokenHolder | None:
    """Whom ``token`` stands for (None: malformed, unknown or expired); ``refresh_s`` restarts its
    TTL in the same round trip."""
    if not token or not _TOKEN.match(token):
        return None
    key = _key(token)
    raw = await (redis.getex(key, ex=refresh_s) if refresh_s else redis.get(key))
    if raw is None:
        return None
    held = json.loads(raw)
    return TokenHolder(uuid.UUID(held["session_id"]), uuid.UUID(held["participant_id"]))


# --- the WebSocket ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """A socket's participant, as PostgreSQL has it at admission."""

    session_id: uuid.UUID
    participant_id: uuid.UUID
    user_id: uuid.UUID | None
    role: Literal["editor", "viewer"]
    is_owner: bool
    display_name: str
    color: str
    max_participants: int


class SocketRefused(Exception):
    """Close the (accepted) socket with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def _refused(error: ProblemError) -> SocketRefused:
    # The same mapping as the other sockets' (services/gateway/auth/access.py).
    code = {401: CLOSE_UNAUTHORIZED, 503: CLOSE_UNAVAILABLE}.get(error.status, CLOSE_FORBIDDEN)
    return SocketRefused(code, error.title)


def _check_origin(state: GatewayState, websocket: WebSocket) -> None:
    """Cookies ride along on cross-site WebSocket handshakes: only our own pages may use them (the
    rule principal.py applies to the session cookie, applied to the participant cookie too)."""
    origin = websocket.headers.get("origin")
    if origin is not None and origin not in state.settings.allowed_origins:
        raise SocketRefused(CLOSE_FORBIDDEN, "Origin not allowed")


async def _principal(state: GatewayState, websocket: WebSocket) -> Principal:
    ticket = websocket.query_params.get("ticket")
    try:
        if ticket is not None:
            # No execution to watch here: a ticket bound to one is refused.
            principal = await tickets.redeem(state.redis, ticket, None)
            websocket.scope[SCOPE_PRINCIPAL] = principal
        else:
            principal = await resolve_principal(websocket, state)
        if principal.kind == "anonymous":
            raise SocketRefused(CLOSE_UNAUTHORIZED, "Join the session first")
        principal.require(Scope.snippets_read)
    except ProblemError as error:
        raise _refused(error) from error
    return principal


async def _credential(state: GatewayState, websocket: WebSocket) -> TokenHolder | Principal:
    """A participant token or a principal: explicit credentials (``?token=``, ``?ticket=``, the
    Authorization header) first, then the cookies, the participant's own before the session's."""
    ttl = state.settings.collab_participant_token_ttl_s
    if "token" in websocket.query_params:
        holder = await token_holder(state.redis, websocket.query_params["token"], refresh_s=ttl)
        if holder is None:
            raise SocketRefused(CLOSE_UNAUTHORIZED, "Unknown or expired participant token")
        return holder
    if "ticket" in websocket.query_params or "authorization" in websocket.headers:
        return await _principal(state, websocket)
    cookie = websocket.cookies.get(COOKIE)
    if cookie is None and ACCESS_COOKIE not in websocket.cookies:
        raise SocketRefused(CLOSE_UNAUTHORIZED, "Join the session first")
    _check_origin(state, websocket)
    if cookie is not None:
        holder = await token_holder(state.redis, cookie, refresh_s=ttl)
        if holder is not None:
            return holder
        if ACCESS_COOKIE not in websocket.cookies:
            raise SocketRefused(CLOSE_UNAUTHORIZED, "Unknown or expired participant token")
    return await _principal(state, websocket)


async def admit_socket(state: GatewayState, websocket: WebSocket, session_id: uuid.UUID) -> Admission:
    """The participant an accepted socket of the session stands for, or SocketRefused: 4401 without
    a (known) credential, 4403 for a foreign Origin on cookies, another session's token, a principal
    that is not a participant, or a revoked participant; 4410 once the session ended."""
    try:
        credential = await _credential(state, websocket)
    except (RedisError, OSError) as error:
        raise SocketRefused(CLOSE_UNAVAILABLE, "Service unavailable") from error
    async with state.sessionmaker() as session:
        row = await repo.get(session, session_id)
        participant: CollabParticipant | None
        if isinstance(credential, TokenHolder):
            if credential.session_id != session_id:
                raise SocketRefused(CLOSE_FORBIDDEN, "The token is for another session")
            participant = await repo.participant(session, credential.participant_id)
            if participant is None or participant.session_id != session_id:
                raise SocketRefused(CLOSE_UNAUTHORIZED, "Unknown or expired participant token")
        else:
            assert credential.user_id is not None
            participant = await repo.participant_of_user(session, session_id, credential.user_id) if row else None
            if participant is None:
                raise SocketRefused(CLOSE_FORBIDDEN, "Not a participant of this session")
    return _admission(row, participant)


def _admission(row: CollabSession | None, participant: CollabParticipant) -> Admission:
    if participant.revoked_at is not None:
        raise SocketRefused(CLOSE_FORBIDDEN, "Revoked by the session's owner")
    if row is None or row.status != "active":
        raise SocketRefused(CLOSE_ENDED, "The session ended")
    return Admission(
        session_id=row.id,
        participant_id=participant.id,
        user_id=participant.user_id,
        role="editor" if participant.role == "editor" else "viewer",
        is_owner=participant.user_id is not None and participant.user_id == row.owner_id,
        display_name=participant.display_name,
        color=participant.color,
        max_participants=row.max_participants,
    )
