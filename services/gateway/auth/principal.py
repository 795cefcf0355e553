"""Who is calling: an access token (bearer or session cookie), an API key (bearer), or nobody.

Access tokens are verified locally against the auth service's JWKS; sign-outs are honoured
through a Redis deny-list. API keys are read from the database, then trusted for a few seconds
(shared.auth.api_keys.CACHE_S) as long as no revocation marker exists for them in Redis: a
steady caller's request then costs one Redis round trip instead of a database read (~2 ms)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends
from joserfc.errors import InvalidKeyIdError
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from services.gateway.auth import repository as repo
from services.gateway.deps import StateDep
from services.gateway.lru import MISSING
from services.gateway.state import GatewayState
from shared.auth.api_keys import CACHE_S, hash_secret, looks_like_api_key
from shared.auth.cookies import ACCESS_COOKIE, csrf_ok
from shared.auth.scopes import ALL_SCOPES, Role, Scope
from shared.auth.tokens import InvalidToken, verify_access_token
from shared.db.session import single_statement
from shared.problems import ProblemError
from shared.redis_keys import api_key_changed, api_key_touched, revoked_access_token

# last_used_at of an API key is written at most this often.
KEY_TOUCH_S = 60


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["anonymous", "user", "api_key"]
    user_id: uuid.UUID | None = None
    role: str = Role.user.value
    scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def require(self, scope: Scope) -> None:
        if self.kind == "anonymous":
            raise unauthorized("Sign in or send an API key.")
        if scope.value not in self.scopes:
            raise ProblemError(403, "insufficient-scope", "Insufficient scope", f"This needs the {scope.value} scope.")

    def may_see(self, owner: uuid.UUID | None) -> bool:
        """Anonymous executions are visible by their id; owned ones to their owner and admins."""
        return owner is None or self.is_admin or (self.user_id is not None and self.user_id == owner)


ANONYMOUS = Principal("anonymous")
# last_used_at updates in flight (kept referenced until done).
_touches: set[asyncio.Task[None]] = set()


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


async def _from_access_token(state: GatewayState, token: str) -> Principal:
    settings = state.settings
    for attempt in range(2):
        try:
            keys = await state.jwks.keys()
            claims = verify_access_token(token, keys, issuer=settings.auth_issuer, audience=settings.auth_audience)
            break
        except InvalidToken as exc:
            # A key rotated in since the last fetch: fetch once more, then give up.
            if attempt == 0 and isinstance(exc.__cause__, InvalidKeyIdError) and await state.jwks.refetch():
                continue
            raise unauthorized(f"The access token is not valid: {exc}") from exc
    if await state.redis.exists(revoked_access_token(claims.token_id)):
        raise unauthorized("The access token was revoked (signed out).")
    return Principal("user", claims.user_id, claims.role, claims.scopes & ALL_SCOPES)


@dataclass(frozen=True, slots=True)
class CheckedKey:
    """An API key found valid in the database, and when."""

    principal: Principal
    key_id: uuid.UUID
    expires_at: datetime | None
    checked_at: float


async def _from_api_key(state: GatewayState, token: str) -> Principal:
    digest = hash_secret(token)
    checked: CheckedKey = state.api_keys.get(digest)
    if (
        checked is not MISSING
        and time.monotonic() - checked.checked_at < CACHE_S
        and not (checked.expires_at and checked.expires_at <= datetime.now(UTC))
    ):
        try:
            async with state.redis.pipeline(transaction=False) as pipe:
                pipe.exists(api_key_changed(checked.key_id))
                pipe.set(api_key_touched(checked.key_id), b"1", nx=True, ex=KEY_TOUCH_S)
                changed, due = await pipe.execute()
        except RedisError:
            changed, due = True, False
        if not changed:
            # last_used_at is due for an update (the throttle key was not there).
            if due:
                _spawn_touch(state, checked.key_id)
            return checked.principal
    state.api_keys.pop(digest)
    async with state.sessionmaker() as session:
        # One statement: no BEGIN and ROLLBACK around it.
        await single_statement(session)
        found = await repo.api_key_with_owner(session, digest)
    if found is None:
        raise unauthorized("Unknown API key.")
    key, user = found
    if key.revoked_at is not None or (key.expires_at and key.expires_at <= datetime.now(UTC)) or not user.is_active:
        raise unauthorized("The API key is revoked or expired.")
    if await state.redis.set(api_key_touched(key.id), b"1", nx=True, ex=KEY_TOUCH_S):
        _spawn_touch(state, key.id)
    principal = Principal("api_key", user.id, user.role, frozenset(key.scopes) & ALL_SCOPES)
    state.api_keys.put(digest, CheckedKey(principal, key.id, key.expires_at, time.monotonic()))
    return principal


def _spawn_touch(state: GatewayState, key_id: uuid.UUID) -> None:
    task = asyncio.create_task(_touch(state, key_id))
    _touches.add(task)
    task.add_done_callback(_touches.discard)


async def _touch(state: GatewayState, key_id: uuid.UUID) -> None:
    async with state.sessionmaker() as session:
        await repo.touch_api_key(session, key_id)
        await session.commit()


# Where a request keeps its resolved principal: the rate limiter and the endpoint both ask.
SCOPE_PRINCIPAL = "crh.principal"


async def resolve_principal(connection: HTTPConnection, state: StateDep) -> Principal:
    """The caller, resolved once per request (an API key costs a database read)."""
    known = connection.scope.get(SCOPE_PRINCIPAL)
    if isinstance(known, Principal):
        return known
    principal = await _resolve(connection, state)
    connection.scope[SCOPE_PRINCIPAL] = principal
    return principal


async def _resolve(connection: HTTPConnection, state: GatewayState) -> Principal:
    header = connection.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Use Authorization: Bearer <token>.")
        token = token.strip()
        return await (_from_api_key if looks_like_api_key(token) else _from_access_token)(state, token)
    cookie = connection.cookies.get(ACCESS_COOKIE)
    if cookie is None:
        return ANONYMOUS
    if connection.scope["type"] == "websocket":
        # Cookies ride along on cross-site WebSocket handshakes: only our own pages may use them.
        origin = connection.headers.get("origin")
        if origin is not None and origin not in state.settings.allowed_origins:
            raise ProblemError(403, "forbidden-origin", "Origin not allowed", f"{origin} may not use session cookies.")
    elif not csrf_ok(connection, connection.scope.get("method", "GET")):
        raise ProblemError(403, "csrf", "CSRF check failed", "Send the crh_csrf cookie's value in X-CSRF-Token.")
    return await _from_access_token(state, cookie)


PrincipalDep = Annotated[Principal, Depends(resolve_principal)]
