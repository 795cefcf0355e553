"""The auth service: identities and credentials. Sign-in features arrive with their own issue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.session import create_engine
from shared.health import Check, database_and_redis, health_router
from shared.problems import install_problem_handlers
from shared.settings import AuthSettings


@dataclass(slots=True)
class AuthState:
    settings: AuthSettings
    engine: AsyncEngine
    redis: Redis


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url.get_secret_value(), pool_size=5)
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        app.state.auth = AuthState(settings, engine, redis)
        try:
            yield
        finally:
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(title="CodeRunHub Auth", version="1.0.0", lifespan=lifespan, root_path_in_servers=False)
    install_problem_handlers(app)

    def checks() -> Mapping[str, Check]:
        state: AuthState = app.state.auth
        return database_and_redis(state.engine, state.redis)

    app.include_router(health_router(checks))
    return app
