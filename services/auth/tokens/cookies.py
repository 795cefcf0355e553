"""Browser sessions as cookies: HttpOnly tokens (Secure under TLS, SameSite) and a readable CSRF
cookie for the double-submit check."""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from services.auth.tokens.service import TokenPair
from shared.auth.cookies import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE

REFRESH_PATH = "/auth/v1"  # refresh and logout both need it


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def set_session_cookies(request: Request, response: Response, pair: TokenPair, refresh_max_age: int) -> None:
    secure = _secure(request)
    response.set_cookie(
        ACCESS_COOKIE,
        pair.access_token,
        max_age=pair.expires_in,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=refresh_max_age,
        httponly=True,
        secure=secure,
        samesite="strict",
        path=REFRESH_PATH,
    )
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=refresh_max_age, httponly=False, secure=secure, samesite="lax", path="/"
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH)
    response.delete_cookie(CSRF_COOKIE, path="/")
