from __future__ import annotations

import httpx

from services.auth.app import create_app as create_auth_app
from services.gateway.app import create_app
from shared.settings import AuthSettings
from tests.conftest import gateway_settings, serve


async def test_gateway_health_readiness_and_docs(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    schema = (await api.get("/openapi.json")).json()
    paths = {"/v1/executions", "/v1/executions/{execution_id}", "/v1/languages", "/healthz", "/readyz"}
    assert paths <= set(schema["paths"])
    post = schema["paths"]["/v1/executions"]["post"]
    assert {"202", "200", "413", "422"} <= set(post["responses"])
    docs = await api.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_gateway_starts_without_redis_and_reports_it(database: str) -> None:
    app = create_app(gateway_settings(redis_url="redis://127.0.0.1:1/0"))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["checks"]["redis"].startswith("error")
        assert response.json()["checks"]["database"] == "ok"
        # Without Redis the API degrades to a clear 503, never a 500.
        languages = await client.get("/v1/languages")
        assert languages.status_code == 503
        assert languages.headers["retry-after"]


async def test_auth_service_skeleton_serves_health(database: str) -> None:
    async with serve(create_auth_app(AuthSettings())) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json()["checks"] == {"database": "ok", "redis": "ok"}
        missing = await client.get("/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
