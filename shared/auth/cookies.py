"""Browser sessions: cookie names, and the CSRF rule for cookie-authenticated changes.

Double-submit: the auth service sets a random, script-readable ``crh_csrf`` cookie alongside the
HttpOnly session cookies; a cookie-authenticated request that changes state must echo it in the
``X-CSRF-Token`` header. A cross-site page can send the cookies but cannot read them to echo.
"""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection

ACCESS_COOKIE = "crh_access"
REFRESH_COOKIE = "crh_refresh"
CSRF_COOKIE = "crh_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_ok(connection: HTTPConnection, method: str) -> bool:
    if method in SAFE_METHODS:
        return True
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    header = connection.headers.get(CSRF_HEADER, "")
    return bool(cookie) and hmac.compare_digest(cookie, header)
