"""/docs (Swagger UI) and /redoc (ReDoc), their scripts served from the app's own origin.

FastAPI's own pages load both from a CDN and start Swagger UI with an inline script: blank without
internet access and under the deployment's content policy (deploy/nginx: script-src 'self'). The
web build copies the bundles into web/dist/api-docs (web/api-docs/copy.mjs), which the web-app
mount serves at /api-docs/; these pages load them from there, and Swagger UI's settings travel in
a JSON block (data, not a script) read by swagger-init.js. Without a web build (tests of the API
alone) the pages say so and link the OpenAPI document instead.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

ASSETS_URL = "/api-docs"
# What the pages load; all of them or the fallback page.
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js", "oauth2-redirect.js", "redoc.standalone.js")

_OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def content_policy(public_url: str) -> str:
    """Nothing but this origin (and the API's public one, which "Try it out" calls); inline styles
    stay allowed: Swagger UI sets style attributes and ReDoc injects its styles."""
    parts = urlsplit(public_url)
    api = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"font-src 'self' data:; connect-src 'self'{api}; worker-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _page(title: str, head: str, body: str, policy: str) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _missing(title: str, prefix: str, policy: str) -> HTMLResponse:
    # Not a 500 nor a blank page: the document itself is always served.
    body = (
        f"<h1>{escape(title)}</h1>\n<p>This server has no web build, so Swagger UI and ReDoc are not here "
        "(<code>make web</code> puts them in web/dist/api-docs).</p>\n"
        f'<p>The OpenAPI document: <a href="{prefix}/openapi.json">{prefix}/openapi.json</a></p>\n'
    )
    return _page(title, "", body, policy)


def install_api_docs(app: FastAPI, dist_dir: str, public_url: str) -> None:
    """Serve /docs, /docs/oauth2-redirect and /redoc (create the app with docs_url=None and
    redoc_url=None); the assets are looked for on each request, so a later `make web` counts."""
    assets = Path(dist_dir) / "api-docs"
    policy = content_policy(public_url)
    title = app.title

    def built() -> bool:
        return all((assets / name).is_file() for name in ASSETS)

    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = request.scope.get("root_path", "").rstrip("/")
        if not built():
            return _missing(title, prefix, policy)
        config = {
            "url": f"{prefix}{app.openapi_url}",
            "dom_id": "#swagger-ui",
            "layout": "BaseLayout",
            "deepLinking": True,
            "showExtensions": True,
            "showCommonExtensions": True,
            "oauth2RedirectUrl": f"{prefix}{_OAUTH2_REDIRECT}",
            # Its default validator is an outside service, asked for a badge per document.
            "validatorUrl": None,
        }
        # "<" escaped: the settings can never end the block early.
        data = json.dumps(config).replace("<", "\\u003c")
        head = (
            f'<link rel="stylesheet" href="{prefix}{ASSETS_URL}/swagger-ui.css">\n'
            f'<link rel="icon" href="{prefix}{ASSETS_URL}/favicon-32x32.png">\n'
        )
        body = (
            '<div id="swagger-ui"></div>\n'
            f'<script type="application/json" id="swagger-ui-config">{data}</script>\n'
            f'<script src="{prefix}{ASSETS_URL}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{prefix}{ASSETS_URL}/swagger-init.js"></script>\n'
        )
        return _page(f"{title} - Swagger UI", head, body, policy)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        prefix = request.scope.get("root_path", "").rstrip("/")
        if not built():
            return _missing(title, prefix, policy)
        body = f'<script src="{prefix}{ASSETS_URL}/oauth2-redirect.js"></script>\n'
        return _page(f"{title} - OAuth2 redirect", "", body, policy)

    async def redoc(request: Request) -> HTMLResponse:
        prefix = request.scope.get("root_path", "").rstrip("/")
        if not built():
            return _missing(title, prefix, policy)
        head = (
            f'<link rel="icon" href="{prefix}{ASSETS_URL}/favicon-32x32.png">\n'
            "<style>body { margin: 0; padding: 0; }</style>\n"
        )
        body = (
            f'<redoc spec-url="{prefix}{app.openapi_url}"></redoc>\n'
            f'<script src="{prefix}{ASSETS_URL}/redoc.standalone.js"></script>\n'
        )
        return _page(f"{title} - ReDoc", head, body, policy)

    # Plain routes, as FastAPI's own pages are (GET and HEAD, outside the document).
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route(_OAUTH2_REDIRECT, swagger_ui_redirect, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
