from __future__ import annotations

import asyncio

import httpx
import uvicorn

from services.auth.app import create_app as create_auth_app
from shared.settings import AuthSettings
from tests.conftest import free_port


async def test_gateway_health_readiness_and_docs(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    schema = (await api.get("/openapi.json")).json()
    assert {"/v1/executions", "/v1/executions/{execution_id}", "/v1/languages", "/healthz", "/readyz"} <= set(
        schema["paths"]
    )
    post = schema["paths"]["/v1/executions"]["post"]
    assert {"202", "200", "413", "422"} <= set(post["responses"])
    docs = await api.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_readiness_reports_an_unreachable_dependency() -> None:
    from services.gateway.app import create_app
    from tests.conftest import gateway_settings

    app = create_app(gateway_settings(redis_url="redis://127.0.0.1:1/0"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["checks"]["redis"].startswith("error")
        assert response.json()["checks"]["database"] == "ok"
    finally:
        server.should_exit = True
        await task


async def test_auth_service_skeleton_serves_health(database: str) -> None:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_auth_app(AuthSettings()), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).json()["checks"] == {"database": "ok", "redis": "ok"}
            missing = await client.get("/nope")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
    finally:
        server.should_exit = True
        await task
