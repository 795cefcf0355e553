"""The auth service: identities and credentials. The gateway only verifies what it issues."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis
from starlette.middleware.sessions import SessionMiddleware

from services.auth.apikeys.endpoints import router as apikeys_router
from services.auth.keys.endpoints import router as keys_router
from services.auth.keys.service import KeyStore
from services.auth.methods import router as methods_router
from services.auth.oauth.endpoints import router as oauth_router
from services.auth.oauth.service import configure_oauth
from services.auth.phone.endpoints import router as phone_router
from services.auth.phone.providers import DevelopmentProvider, OtpProvider, TwilioVerifyProvider
from services.auth.phone.service import PhoneService
from services.auth.state import AuthState
from services.auth.tokens.endpoints import router as tokens_router
from services.auth.tokens.service import TokenService
from shared.db.session import create_engine, create_sessionmaker
from shared.health import Check, database_and_redis, health_router
from shared.observability import ObservabilityMiddleware, metrics_router
from shared.problems import install_problem_handlers
from shared.settings import AuthSettings


def otp_provider(settings: AuthSettings, redis: Redis) -> OtpProvider | None:
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_verify_service_sid:
        return TwilioVerifyProvider(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_verify_service_sid,
            settings.twilio_verify_url,
        )
    # Never in production: there, no Twilio means no phone sign-in.
    return DevelopmentProvider(redis, settings.otp_ttl_s) if settings.development else None


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url.get_secret_value(), pool_size=5)
        sessionmaker = create_sessionmaker(engine)
        redis = Redis.from_url(settings.redis_url.get_secret_value())
        keys = KeyStore(sessionmaker, settings)
        await keys.load()
        provider = otp_provider(settings, redis)
        phone = PhoneService(redis, provider, settings) if provider else None
        app.state.auth = AuthState(
            settings, engine, sessionmaker, redis, keys, TokenService(keys, settings), phone, configure_oauth(settings)
        )
        reloader = asyncio.create_task(keys.reload_forever())
        try:
            yield
        finally:
            reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reloader
            if provider is not None:
                await provider.close()
            await redis.aclose()
            await engine.dispose()

    # No /docs nor /redoc: FastAPI's load their scripts from a CDN, and this service has no web build
    # to serve them from (and deployments route /docs to the gateway); /openapi.json stays.
    app = FastAPI(title="CodeRunHub Auth", version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    install_problem_handlers(app)
    # Holds the OAuth state, nonce and PKCE verifier between login and callback (signed cookie).
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="crh_oauth",
        max_age=900,
        same_site="lax",
    )

    def checks() -> Mapping[str, Check]:
        state: AuthState = app.state.auth
        return database_and_redis(state.engine, state.redis)

    app.include_router(health_router(checks))
    app.include_router(metrics_router())
    # Outermost: it times everything and binds the request id for every log line below it.
    app.add_middleware(ObservabilityMiddleware, service="auth")
    for router in (keys_router, phone_router, tokens_router, apikeys_router, oauth_router, methods_router):
        app.include_router(router)
    return app
