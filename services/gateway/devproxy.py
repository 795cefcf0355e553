"""Development reverse proxy: /auth/v1/* on the gateway's origin, forwarded to the auth service.

The web app talks to the auth service through its own origin, so the auth service's session cookies
(``crh_access``, ``crh_refresh`` scoped to ``/auth/v1``, ``crh_csrf``) land on the origin the gateway
serves. In production nginx routes ``/auth/`` instead; this module is installed only when
``auth_proxy_url`` is set (``make run`` and the browser tests set it).
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from shared.problems import ProblemError

PREFIX = "/auth/v1"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Hop-by-hop headers (RFC 9110 7.6.1) are the connection's own, never forwarded; httpx sets Host
# and Content-Length itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def _request_headers(request: Request) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP]
    client = request.client.host if request.client else None
    if client:
        forwarded = request.headers.get("x-forwarded-for")
        headers.append(("x-forwarded-for", f"{forwarded}, {client}" if forwarded else client))
    headers.append(("x-forwarded-proto", request.url.scheme))
    headers.append(("x-forwarded-host", request.headers.get("host", "")))
    return headers


def auth_proxy_client(upstream: str | None, timeout_s: float) -> httpx.AsyncClient | None:
    """The lifespan's client to the auth service (e.g. http://127.0.0.1:8001), when proxying."""
    if not upstream:
        return None
    return httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=timeout_s, follow_redirects=False)


def install_auth_proxy(app: FastAPI) -> None:
    """Forward every method on /auth/v1/{path} to the auth service, streamed both ways.

    Redirects are handed to the browser (OAuth sign-in depends on it) and every Set-Cookie is kept."""

    async def forward(request: Request) -> Response:
        client: httpx.AsyncClient = request.app.state.gateway.auth_proxy
        target = httpx.URL(path=request.url.path, query=request.url.query.encode())
        upstream_request = client.build_request(
            request.method,
            target,
            headers=_request_headers(request),
            content=request.stream() if request.method not in ("GET", "HEAD") else None,
        )
        try:
            answer = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            raise ProblemError(
                503,
                "auth-unavailable",
                "Auth service unavailable",
                f"The auth service did not answer: {type(exc).__name__}.",
                headers={"Retry-After": "5"},
            ) from exc
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in answer.headers.raw
            if name.decode("latin-1").lower() not in HOP_BY_HOP
        ]

        response = StreamingResponse(
            answer.aiter_raw(), status_code=answer.status_code, background=BackgroundTask(answer.aclose)
        )
        # Multi-valued headers (every Set-Cookie) are kept as they came; the body is relayed as is
        # (still encoded, so Content-Encoding stays true).
        response.raw_headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        return response

    app.add_route(f"{PREFIX}/{{path:path}}", forward, methods=METHODS, include_in_schema=False)
