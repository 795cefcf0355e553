"""The development proxy (/auth/v1/* on the gateway's origin -> the auth service) and the web app's
mount: redirects reach the browser, every Set-Cookie survives, bodies stream both ways, and the
app's files never shadow the API's own 404/405 answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from services.gateway.app import create_app as create_gateway_app
from tests.conftest import free_port, gateway_settings, serve


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "cookie": request.headers.get("cookie"),
            "csrf": request.headers.get("x-csrf-token"),
            "forwarded_for": request.headers.get("x-forwarded-for"),
        }
    )


async def sign_in(request: Request) -> Response:
    response = JSONResponse({"ok": True})
    response.set_cookie("crh_access", "a", httponly=True, path="/")
    response.set_cookie("crh_refresh", "r", httponly=True, path="/auth/v1", samesite="strict")
    response.set_cookie("crh_csrf", "c", path="/")
    return response


async def login(request: Request) -> Response:
    return RedirectResponse("https://provider.invalid/authorize?state=x", status_code=302)


UPSTREAM = Starlette(
    routes=[
        Route("/auth/v1/echo", echo, methods=["GET", "POST", "DELETE"]),
        Route("/auth/v1/phone/verify", sign_in, methods=["POST"]),
        Route("/auth/v1/oauth/github/login", login),
    ]
)


@pytest_asyncio.fixture(scope="module")
async def proxied(database: str, redis_client: object, tmp_path_factory: object) -> AsyncIterator[httpx.AsyncClient]:
    dist = Path(str(tmp_path_factory.mktemp("dist")))  # type: ignore[attr-defined]
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    async with serve(UPSTREAM) as upstream:
        settings = gateway_settings(auth_proxy_url=upstream, web_dist_dir=str(dist))
        async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
            yield client


async def test_requests_and_bodies_are_forwarded(proxied: httpx.AsyncClient) -> None:
    response = await proxied.post(
        "/auth/v1/echo?x=1",
        content=b'{"phone": "+1"}',
        headers={"cookie": "crh_refresh=r", "x-csrf-token": "c", "content-type": "application/json"},
    )
    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/auth/v1/echo"
    assert seen["query"] == "x=1"
    assert seen["body"] == '{"phone": "+1"}'
    assert seen["cookie"] == "crh_refresh=r"
    assert seen["csrf"] == "c"
    assert seen["forwarded_for"] == "127.0.0.1"
    assert (await proxied.delete("/auth/v1/echo")).json()["method"] == "DELETE"


async def test_every_set_cookie_is_passed_through(proxied: httpx.AsyncClient) -> None:
    response = await proxied.post("/auth/v1/phone/verify", json={})
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 3
    assert any(c.startswith("crh_refresh=r") and "Path=/auth/v1" in c and "HttpOnly" in c for c in cookies)


async def test_redirects_reach_the_browser(proxied: httpx.AsyncClient) -> None:
    response = await proxied.get("/auth/v1/oauth/github/login")
    assert response.status_code == 302
    assert response.headers["location"] == "https://provider.invalid/authorize?state=x"


async def test_a_missing_auth_service_is_a_503_problem(database: str, redis_client: object) -> None:
    settings = gateway_settings(auth_proxy_url=f"http://127.0.0.1:{free_port()}")
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/auth/v1/me")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"


async def test_no_proxy_unless_configured(database: str, redis_client: object) -> None:
    settings = gateway_settings(web_dist_dir="/nonexistent")
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/auth/v1/me")).status_code == 404
        assert (await client.get("/")).status_code == 404


async def test_the_app_is_served_at_the_root_without_shadowing_the_api(proxied: httpx.AsyncClient) -> None:
    index = await proxied.get("/")
    assert index.status_code == 200
    assert "<title>app</title>" in index.text
    missing = await proxied.get("/no-such-file.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    # An API route with the wrong method is still the API's 405, with Allow.
    wrong = await proxied.delete("/v1/languages")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
    assert (await proxied.get("/v1/no-such-route")).status_code == 404
