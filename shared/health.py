"""Liveness and readiness routes every HTTP service mounts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


def database_and_redis(engine: AsyncEngine, redis: Redis) -> dict[str, Check]:
    """The checks of a service that needs PostgreSQL and Redis."""

    async def database() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def redis_ping() -> None:
        await redis.ping()

    return {"database": database, "redis": redis_ping}


def health_router(checks: Callable[[], Mapping[str, Check]]) -> APIRouter:
    """``checks`` is called per request, so it can read state the lifespan created."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health, summary="Liveness: the process is serving")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Health,
        summary="Readiness: every dependency answers",
        responses={503: {"description": "A dependency is unreachable", "content": {PROBLEM_MEDIA_TYPE: {}}}},
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"error: {type(exc).__name__}"
        if all(value == "ok" for value in results.values()):
            return JSONResponse(Health(status="ok", checks=results).model_dump())
        body = {
            "type": PROBLEM_TYPE_BASE + "not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": ", ".join(f"{name}: {value}" for name, value in results.items() if value != "ok"),
            "checks": results,
        }
        return JSONResponse(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE)

    return router
