"""Absolute links in responses (an execution's ``links``): where the caller reached this gateway.

A browser page on another origin cannot resolve "/v1/executions/{id}/stream" against the API, and a
WebSocket URL needs its own scheme, so links carry both. They are built from the request being
served, which ``PublicBaseMiddleware`` keeps in a context variable for the duration of each HTTP
request and WebSocket: response models are built deep inside services (and caches of them are
shared between requests), and passing the request down to each would thread it through every
feature that returns an execution. Outside a request, links stay paths.

The base is ``settings.public_url`` when that is absolute, otherwise the request's own: its Host
header and its scheme, which uvicorn (``proxy_headers``, trusting ``forwarded_allow_ips``) takes
from ``X-Forwarded-Proto`` behind nginx, so a page served over https gets ``wss://`` links."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

# A Host header that is a host name or address and an optional port: anything else (a forged one
# with a path or credentials in it) leaves links relative rather than pointing somewhere odd.
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_SECURE = frozenset({"https", "wss"})


@dataclass(frozen=True, slots=True)
class PublicBase:
    """``http://host[:port][/root]`` and its WebSocket twin, without a trailing slash."""

    http: str
    ws: str

    @classmethod
    def of_url(cls, url: str) -> PublicBase | None:
        """From an absolute http(s) URL (a ``public_url`` setting); None for anything else."""
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ("http", "https") or not rest:
            return None
        rest = rest.rstrip("/")
        return cls(f"{scheme}://{rest}", f"{'wss' if scheme == 'https' else 'ws'}://{rest}")

    @classmethod
    def of_scope(cls, scope: Scope) -> PublicBase | None:
        host = next((value for name, value in scope.get("headers", ()) if name == b"host"), b"").decode("latin-1")
        if not _HOST.match(host):
            return None
        secure = scope.get("scheme") in _SECURE
        rest = host + str(scope.get("root_path", "")).rstrip("/")
        return cls(f"{'https' if secure else 'http'}://{rest}", f"{'wss' if secure else 'ws'}://{rest}")


_current: ContextVar[PublicBase | None] = ContextVar("crh_public_base", default=None)


def current() -> PublicBase | None:
    """The base of the request being served (None outside one, or for an unusable Host)."""
    return _current.get()


def http_url(path: str) -> str:
    base = _current.get()
    return base.http + path if base else path


def ws_url(path: str) -> str:
    base = _current.get()
    return base.ws + path if base else path


class PublicBaseMiddleware:
    def __init__(self, app: ASGIApp, public_url: str = "/") -> None:
        self.app = app
        self.fixed = PublicBase.of_url(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = _current.set(self.fixed or PublicBase.of_scope(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
