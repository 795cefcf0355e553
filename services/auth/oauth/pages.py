"""Errors of the OAuth redirects as a page when a browser navigated there, problem+json otherwise.

A person reaches /auth/v1/oauth/* by clicking a sign-in button or by coming back from the
provider, so a failure there lands in a browser tab: raw JSON would be a dead end. Programs (an
Accept of application/json, */* or none) keep the one problem+json shape every service answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from html import escape
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from services.auth.oauth.service import PROVIDER_NAMES

BACK = "/account"
JSON_TYPES = ("application/problem+json", "application/json")
# The page is inert: no script, nothing loaded, never framed; its style is the one inline block.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
# Headers of the problem answer that the page keeps (e.g. Retry-After); the rest describe the JSON.
DROPPED_HEADERS = frozenset({"content-type", "content-length"})


def _weights(accept: str) -> dict[str, float]:
    """Accept's media ranges and their q (RFC 9110 12.5.1); a malformed q counts as 0."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    return weights


def _weight(weights: dict[str, float], media: str) -> float:
    """The most specific range that matches ``media`` decides its weight."""
    kind = media.split("/", 1)[0]
    for candidate in (media, f"{kind}/*", "*/*"):
        if candidate in weights:
            return weights[candidate]
    return 0.0


def prefers_html(request: Request) -> bool:
    """A browser navigation: it names text/html itself and ranks it above JSON. A bare */* (curl,
    httpx, fetch's default) is a program's, so it gets JSON."""
    weights = _weights(request.headers.get("accept", ""))
    html = weights.get("text/html", 0.0)
    return html > 0 and html > max(_weight(weights, media) for media in JSON_TYPES)


def _sentence(provider: str, slug: str, reason: str | None) -> str:
    """What happened, in the words of the person who clicked."""
    name = PROVIDER_NAMES.get(provider)
    if slug == "not-found":
        if name is None:
            return f"There is no sign-in with “{provider}” here."
        return f"Signing in with {name} is not available on this site."
    shown = name or provider
    if slug == "oauth-failed":
        if reason == "access_denied":
            return f"You did not allow {shown} to sign you in, so you are not signed in."
        if reason == "mismatching_state":
            return (
                "This sign-in was started in another browser or tab, or too long ago, so it could "
                "not be finished. Please start again."
            )
        return f"{shown}'s answer could not be accepted, so you are not signed in. Please try again."
    if slug == "provider-unreachable":
        return f"{shown} could not be reached. Please try again in a moment."
    if slug == "bad-redirect":
        return "This sign-in link would take you to another site afterwards, so it was stopped."
    if slug == "validation-error":
        return "This sign-in link is incomplete or not valid."
    return "Signing in did not work. Please try again."


def error_page(request: Request, problem: Response, reason: str | None) -> HTMLResponse:
    """The problem answer ``problem`` as a page: the same status and headers, a sentence, a way back."""
    body: dict[str, Any] = json.loads(bytes(problem.body))
    slug = str(body.get("type", "")).rsplit("/", 1)[-1]
    provider = str(request.path_params.get("provider", ""))
    title = escape(str(body.get("title", "Sign-in failed")))
    detail = body.get("detail")
    details = f'<p class="detail">Details: {escape(str(detail))}</p>' if detail else ""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · CodeRunHub</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; }}
  .detail {{ color: #555; font-size: 0.875rem; }}
  @media (prefers-color-scheme: dark) {{ body {{ background: #111; color: #eee; }} .detail {{ color: #aaa; }} }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{escape(_sentence(provider, slug, reason))}</p>
{details}
<p><a href="{BACK}">Back to sign in</a></p>
</main>
</body>
</html>
"""
    headers = {k: v for k, v in problem.headers.items() if k.lower() not in DROPPED_HEADERS}
    return HTMLResponse(page, status_code=problem.status_code, headers={**headers, **PAGE_HEADERS})


async def _problem(request: Request, exc: Exception) -> Response | None:
    """What the app's own exception handlers answer for ``exc`` (the problem+json), if any applies."""
    handlers = request.app.exception_handlers
    handler = next((handlers[kind] for kind in type(exc).__mro__ if kind in handlers), None)
    if handler is None:
        return None
    response: Response = await handler(request, exc)
    return response


class BrowserPageRoute(APIRoute):
    """A route whose errors a browser navigation sees as a page (same status) instead of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as exc:
                if not prefers_html(request):
                    raise
                problem = await _problem(request, exc)
                if problem is None:
                    raise
                return error_page(request, problem, getattr(exc, "reason", None))

        return route
