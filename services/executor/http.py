"""The executor's small HTTP listener: Prometheus metrics, liveness, and readiness (PostgreSQL,
Redis and the Docker engine all answer). It has no API: work arrives only through the queue."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.executor.state import ExecutorState

CHECK_TIMEOUT_S = 2.0


async def _check(state: ExecutorState) -> dict[str, str]:
    async def database() -> None:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def redis() -> None:
        await state.redis.ping()

    async def docker() -> None:
        await state.docker.version()

    results: dict[str, str] = {}
    for name, check in (("database", database), ("redis", redis), ("docker", docker)):
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    return results


def create_http_app(state: ExecutorState) -> web.Application:
    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        checks = await _check(state)
        ready = all(value == "ok" for value in checks.values())
        return web.json_response(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def start_http(state: ExecutorState, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(create_http_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
