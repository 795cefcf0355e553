"""CORS for the pages of configured origins (``cors_origins``; docs/api.md#browser-integration).

Without credentials: a cross-origin page authenticates with an API key or access token in
``Authorization`` (or a stream ticket on a WebSocket), never with the web app's session cookies,
which stay same-origin (and WebSockets check the Origin of a cookie themselves, principal.py).
Installed just inside the observability middleware, so preflights are answered before request
bounds, rate limits or credentials are looked at (they carry none), and every response coming back
through it, problem+json refusals (401, 413, 429...) included, carries the CORS headers a page needs
to read it. Only a 500 from Starlette's outermost error handler does not."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from shared.settings import GatewaySettings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What pages send: credentials, bodies, idempotency and conditional updates, their own request ids.
REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-ID")
# What pages may read besides the CORS-safelisted ones: rate limits, where to poll and when, replays,
# revisions, and the ids to quote in a support request.
EXPOSED_HEADERS = (
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "Location",
    "ETag",
    "Idempotent-Replayed",
    "WWW-Authenticate",
    "X-Request-ID",
    "X-CRH-Instance",
)


class AllowedOriginsCORS(CORSMiddleware):
    """Starlette's, except that other origins get no CORS header at all, as if CORS were off
    (Starlette sends them its exposed-headers list, and the allowed methods and headers on
    preflights): what the API accepts is nobody else's business. Their responses still say they
    vary by Origin, so no cache hands one to an allowed page."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin is None or self.is_allowed_origin(origin):
            await super().__call__(scope, receive, send)
            return

        async def varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
            await send(message)

        await self.app(scope, receive, varying)


def install_cors(app: FastAPI, settings: GatewaySettings) -> None:
    """Call where the middleware belongs in the stack (see the module docstring); nothing without origins."""
    if not settings.cors_origins:
        return
    app.add_middleware(
        AllowedOriginsCORS,
        allow_origins=[origin.rstrip("/") for origin in settings.cors_origins],
        allow_methods=METHODS,
        # Judge0 clients send their key in their own header (a setting).
        allow_headers=(*REQUEST_HEADERS, settings.judge0_auth_header),
        allow_credentials=False,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
