"""The gateway: public REST API and WebSocket relay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from arq.connections import ArqRedis
from fastapi import FastAPI

from services.gateway.analyses.endpoints import router as analyses_router
from services.gateway.analytics.endpoints import router as analytics_router
from services.gateway.apidocs import install_api_docs
from services.gateway.auth.jwks import JwksCache
from services.gateway.batches.endpoints import router as batches_router
from services.gateway.collab.endpoints import router as collab_router
from services.gateway.collab.rooms import Rooms as CollabRooms
from services.gateway.collab.rtc import router as collab_rtc_router
from services.gateway.collab.runs import router as collab_runs_router
from services.gateway.collab.saving import IdleSweeper
from services.gateway.collab.signal import router as collab_signal_router
from services.gateway.collab.signaling import SignalRooms
from services.gateway.collab.socket import router as collab_socket_router
from services.gateway.compat.common import CompatCredentialsMiddleware
from services.gateway.compat.judge0.endpoints import router as judge0_router
from services.gateway.compat.piston.endpoints import router as piston_router
from services.gateway.config.endpoints import router as config_router
from services.gateway.cors import install_cors
from services.gateway.devproxy import auth_proxy_client, install_auth_proxy
from services.gateway.executions.endpoints import router as executions_router
from services.gateway.executions.interactive import router as interactive_router
from services.gateway.history.endpoints import router as history_router
from services.gateway.instance import InstanceHeaderMiddleware
from services.gateway.languages.endpoints import router as languages_router
from services.gateway.languages.service import VersionCache
from services.gateway.links import PublicBaseMiddleware
from services.gateway.middleware import RequestBoundsMiddleware
from services.gateway.openapi import install_openapi, operation_id
from services.gateway.ratelimit.endpoints import router as limits_router
from services.gateway.ratelimit.wiring import install_rate_limits
from services.gateway.relay import EventHub
from services.gateway.snippets.endpoints import router as snippets_router
from services.gateway.state import GatewayState
from services.gateway.tickets.endpoints import router as tickets_router
from services.gateway.webapp import install_web_app
from services.gateway.webhooks.endpoints import router as webhooks_router
from shared.db.session import create_engine, create_sessionmaker
from shared.health import Check, database_and_redis, health_router
from shared.observability import ObservabilityMiddleware, metrics_router
from shared.problems import install_problem_handlers
from shared.settings import GatewaySettings

DESCRIPTION = """
CodeRunHub runs untrusted code in hardened, resource-capped sandboxes and streams its output.

Errors use one [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json` shape;
each operation lists the ones it can answer. Request bodies are JSON (UTF-8, nested at most 32 deep).
Authenticate with `Authorization: Bearer <access token or API key>` or a browser session cookie;
routes that allow it also serve anonymous callers, under stricter limits.
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
        auth_proxy = auth_proxy_client(settings.auth_proxy_url, settings.auth_proxy_timeout_s)
        app.state.gateway = GatewayState(
            settings, engine, create_sessionmaker(engine), redis, hub, versions, jwks, auth_proxy
        )
        collab = app.state.gateway.collab = CollabRooms(app.state.gateway)
        signal = app.state.gateway.signal = SignalRooms(app.state.gateway)
        sweeper = IdleSweeper(app.state.gateway)
        sweeper.start()
        try:
            yield
        finally:
            await sweeper.stop()
            # First, while Redis and PostgreSQL are still there: rooms compact before their sockets go.
            await collab.stop()
            await signal.stop()
            if auth_proxy is not None:
                await auth_proxy.aclose()
            await jwks.close()
            await hub.stop()
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="CodeRunHub API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        servers=[{"url": settings.public_url, "description": "This gateway"}],
        # Ours instead (./apidocs.py): FastAPI's load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    install_openapi(app, settings.public_url)
    install_api_docs(app, settings.web_dist_dir, settings.public_url)
    # Before any router is included: included routers copy the app's dependencies.
    install_rate_limits(app)
    app.add_middleware(
        RequestBoundsMiddleware,
        max_bytes=settings.max_request_bytes,
        max_json_depth=settings.max_json_depth,
        max_json_number_chars=settings.max_json_number_chars,
    )

    app.add_middleware(InstanceHeaderMiddleware)
    # Executions' links are absolute, built from the request (or public_url) it keeps at hand.
    app.add_middleware(PublicBaseMiddleware, public_url=settings.public_url)
    # Around all of the above: preflights answered first, refusals from below carry CORS headers.
    install_cors(app, settings)

    def checks() -> Mapping[str, Check]:
        state: GatewayState = app.state.gateway
        return database_and_redis(state.engine, state.redis)

    app.include_router(health_router(checks))
    app.include_router(metrics_router())
    # Outermost: it times everything and binds the request id for every log line below it.
    app.add_middleware(ObservabilityMiddleware, service="gateway")
    app.include_router(interactive_router)
    app.include_router(executions_router)
    app.include_router(history_router)
    app.include_router(analytics_router)
    app.include_router(languages_router)
    app.include_router(webhooks_router)
    app.include_router(snippets_router)
    app.include_router(collab_router)
    app.include_router(collab_socket_router)
    app.include_router(collab_runs_router)
    app.include_router(collab_rtc_router)
    app.include_router(collab_signal_router)
    app.include_router(limits_router)
    app.include_router(config_router)
    app.include_router(batches_router)
    app.include_router(analyses_router)
    app.include_router(tickets_router)
    if settings.compat_enabled:
        # Other APIs' shapes of the same executions, outside the OpenAPI document (docs/compat.md).
        app.include_router(judge0_router, include_in_schema=False)
        app.include_router(piston_router, include_in_schema=False)
        app.add_middleware(CompatCredentialsMiddleware, auth_header=settings.judge0_auth_header)
    # Development only: the browser reaches the auth service through this origin (nginx in production).
    if settings.auth_proxy_url:
        install_auth_proxy(app)
    # Last: the web app's build at /, behind every API route.
    install_web_app(app, settings.web_dist_dir)
    return app
