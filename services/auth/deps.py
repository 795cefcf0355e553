"""Typed dependencies of the auth service: state, sessions, and the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.state import AuthState
from services.auth.users import repository as users
from shared.auth.cookies import ACCESS_COOKIE, csrf_ok
from shared.auth.tokens import AccessClaims, InvalidToken, verify_access_token
from shared.db.models import User
from shared.problems import ProblemError
from shared.redis_keys import revoked_access_token


async def get_state(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state


StateDep = Annotated[AuthState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


async def current_claims(request: Request, state: StateDep) -> AccessClaims:
    """A user session: a bearer access token, or the session cookie (changes need the CSRF header)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if token is None:
        token = request.cookies.get(ACCESS_COOKIE)
        if token is None:
            raise unauthorized("Sign in first.")
        if not csrf_ok(request, request.method):
            raise ProblemError(403, "csrf", "CSRF check failed", "Send the crh_csrf cookie's value in X-CSRF-Token.")
    try:
        claims = verify_access_token(
            token, state.keys.key_set(), issuer=state.settings.issuer, audience=state.settings.audience
        )
    except InvalidToken as exc:
        raise unauthorized(f"The access token is not valid: {exc}") from exc
    if await state.redis.exists(revoked_access_token(claims.token_id)):
        raise unauthorized("The access token was revoked (signed out).")
    return claims


ClaimsDep = Annotated[AccessClaims, Depends(current_claims)]


async def current_user(claims: ClaimsDep, session: SessionDep) -> User:
    user = await users.get(session, claims.user_id)
    if user is None or not user.is_active:
        raise unauthorized("The account is not active.")
    return user


UserDep = Annotated[User, Depends(current_user)]
