from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from services.auth.deps import ClaimsDep, SessionDep, StateDep, UserDep
from services.auth.openapi import REFRESH, SIGNED_IN, SIGNED_IN_CHANGE
from services.auth.tokens.cookies import clear_session_cookies
from services.auth.tokens.schemas import LogoutIn, RefreshIn, SessionMode, SessionOut, UserOut, session_response
from services.auth.tokens.service import RefreshRefused, sign_out
from shared.auth.cookies import REFRESH_COOKIE, csrf_ok
from shared.problems import ProblemError

router = APIRouter(prefix="/auth/v1", tags=["sessions"])


def _refresh_token(request: Request, body: RefreshIn) -> str:
    if body.refresh_token:
        return body.refresh_token
    cookie = request.cookies.get(REFRESH_COOKIE)
    if cookie is None:
        raise ProblemError(401, "invalid-refresh-token", "Invalid refresh token", "No refresh token was sent.")
    if not csrf_ok(request, request.method):
        raise ProblemError(403, "csrf", "CSRF check failed", "Send the crh_csrf cookie's value in X-CSRF-Token.")
    return cookie


@router.post("/token/refresh", response_model=SessionOut, responses=REFRESH, summary="Rotate a refresh token")
async def refresh(
    request: Request, response: Response, body: RefreshIn, state: StateDep, session: SessionDep
) -> SessionOut:
    raw = _refresh_token(request, body)
    try:
        pair = await state.tokens.refresh(session, raw)
    except RefreshRefused:
        # Keep a family revocation (reuse detected) even though the request fails.
        await session.commit()
        raise
    await session.commit()
    mode: SessionMode = "cookie" if body.refresh_token is None else body.session
    return session_response(request, response, pair, mode, state.settings.refresh_token_ttl_s)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=SIGNED_IN_CHANGE,
    summary="Sign out: revoke this sign-in's tokens",
)
async def logout(
    request: Request,
    response: Response,
    claims: ClaimsDep,
    state: StateDep,
    session: SessionDep,
    body: LogoutIn | None = None,
) -> Response:
    raw = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    await sign_out(session, state.redis, state.tokens, claims, raw)
    await session.commit()
    result = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(result)
    return result


@router.get("/me", response_model=UserOut, responses=SIGNED_IN, summary="The signed-in user")
async def me(user: UserDep) -> UserOut:
    return UserOut.model_validate(user)
