"""The gateway: public REST API and WebSocket relay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from arq.connections import ArqRedis
from fastapi import FastAPI

from services.gateway.auth.jwks import JwksCache
from services.gateway.executions.endpoints import router as executions_router
from services.gateway.executions.interactive import router as interactive_router
from services.gateway.languages.endpoints import router as languages_router
from services.gateway.languages.service import VersionCache
from services.gateway.middleware import BodySizeLimitMiddleware
from services.gateway.relay import EventHub
from services.gateway.state import GatewayState
from shared.db.session import create_engine, create_sessionmaker
from shared.health import Check, database_and_redis, health_router
from shared.problems import install_problem_handlers
from shared.settings import GatewaySettings

DESCRIPTION = """
CodeRunHub runs untrusted code in hardened, resource-capped sandboxes and streams its output.

Errors use one [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json` shape.
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url.get_secret_value())
        # No connection is made here: the gateway starts (and reports not ready) while Redis is down.
        redis = ArqRedis.from_url(settings.redis_url.get_secret_value())
        hub = EventHub(redis)
        await hub.start()
        versions = VersionCache(redis, settings.versions_cache_s)
        jwks = JwksCache(settings.auth_jwks_url, settings.jwks_refresh_s)
        app.state.gateway = GatewayState(settings, engine, create_sessionmaker(engine), redis, hub, versions, jwks)
        try:
            yield
        finally:
            await jwks.close()
            await hub.stop()
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="CodeRunHub API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)

    def checks() -> Mapping[str, Check]:
        state: GatewayState = app.state.gateway
        return database_and_redis(state.engine, state.redis)

    app.include_router(health_router(checks))
    app.include_router(interactive_router)
    app.include_router(executions_router)
    app.include_router(languages_router)
    return app
