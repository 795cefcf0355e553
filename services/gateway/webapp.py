"""The web app's build (web/dist, made by `make web`), served at / after every API route.

A plain mount at / would match every path fully and so shadow the API's own 404/405 answers (an
unsupported method on an API route would reach the static files); this one only claims browser
GET/HEAD requests outside the API's prefixes."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# The app's pages (web/src/router.ts) get index.html, as nginx's `try_files $uri /index.html` gives
# them: each has an address people bookmark, reload and share (a snippet, a share link, a run, a
# collaborative session's invite). Other paths stay the static files' own, so a missing asset is a 404.
_APP_PAGES = re.compile(
    r"^(?:snippets|history|analytics|account"
    r"|(?:snippets|history)/[\w-]{1,100}|s/[\w-]{1,100}|collab/[0-9A-Fa-f-]{36})$",
    re.ASCII,
)

API_PREFIXES = ("/v1/", "/auth/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")


class WebAppMount(Mount):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        path: str = scope["path"]
        if path == "/v1" or path.startswith(API_PREFIXES):
            return Match.NONE, {}
        return super().matches(scope)


# The embeddable snippet widget (/embed/<share token>): its own page, the one page other sites may
# frame. Share tokens are secrets.token_urlsafe(16) (22 characters); older or longer ones also fit.
_EMBED_PAGE = re.compile(r"^embed/[A-Za-z0-9_-]{8,128}/?$")
# Every other page refuses to be framed (clickjacking: Revoke, Delete, API keys); nginx sends the
# same in deployments (deploy/nginx/coderunhub.conf.template).
_NO_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
_ANY_FRAMING = {"Content-Security-Policy": "frame-ancestors *"}


class WebAppFiles(StaticFiles):
    def get_path(self, scope: Scope) -> str:
        path = super().get_path(scope)
        if _EMBED_PAGE.match(path):
            return "embed.html"
        return "index.html" if _APP_PAGES.match(path) else path

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_ANY_FRAMING if path == "embed.html" else _NO_FRAMING)
        return response


def install_web_app(app: FastAPI, dist_dir: str) -> bool:
    """Mount the build when it exists; True if it was mounted."""
    dist = Path(dist_dir)
    if not (dist / "index.html").is_file():
        return False
    app.router.routes.append(WebAppMount("/", app=WebAppFiles(directory=dist, html=True), name="web"))
    return True
