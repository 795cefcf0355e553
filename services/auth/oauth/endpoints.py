"""Google (OpenID Connect) and GitHub (OAuth 2) sign-in through authlib: authorization code with
PKCE and state (and nonce plus ID-token validation for Google). The first sign-in creates the
account; a verified email links the identity to the account that already has it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from starlette.responses import Response

from services.auth.deps import SessionDep, StateDep
from services.auth.tokens.cookies import set_session_cookies
from services.auth.users.service import sign_in
from shared.problems import NotFoundProblem, ProblemError
from shared.settings import AuthSettings

router = APIRouter(prefix="/auth/v1/oauth", tags=["oauth sign-in"])
REDIRECT_KEY = "crh_redirect_to"


def configure_oauth(settings: AuthSettings) -> OAuth:
    oauth = OAuth()
    if settings.google_client_id and settings.google_client_secret:
        oauth.register(
            "google",
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret.get_secret_value(),
            server_metadata_url=settings.google_discovery_url,
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
    if settings.github_client_id and settings.github_client_secret:
        oauth.register(
            "github",
            client_id=settings.github_client_id,
            client_secret=settings.github_client_secret.get_secret_value(),
            authorize_url=settings.github_authorize_url,
            access_token_url=settings.github_token_url,
            api_base_url=settings.github_api_url,
            client_kwargs={"scope": "read:user user:email", "code_challenge_method": "S256"},
        )
    return oauth


def _client(state: StateDep, provider: str) -> StarletteOAuth2App:
    client = state.oauth.create_client(provider)
    if client is None:
        raise NotFoundProblem(f"Sign-in provider {provider!r}")
    return client


def _safe_redirect(target: str, settings: AuthSettings) -> str:
    """Only a path, or an allowed origin: never an open redirect."""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    if f"{parts.scheme}://{parts.netloc}" in settings.allowed_redirect_origins:
        return target
    raise ProblemError(400, "bad-redirect", "Redirect not allowed", f"{target!r} is not an allowed destination.")


@router.get("/{provider}/login", summary="Start signing in with a provider (browser redirect)")
async def login(provider: str, request: Request, state: StateDep, redirect_to: str = "/") -> Response:
    client = _client(state, provider)
    request.session[REDIRECT_KEY] = _safe_redirect(redirect_to, state.settings)
    callback = f"{state.settings.public_url}/auth/v1/oauth/{provider}/callback"
    response: Response = await client.authorize_redirect(request, callback)
    return response


async def _github_identity(client: StarletteOAuth2App, token: dict[str, Any]) -> tuple[str, str | None, str | None]:
    profile_response = await client.get("user", token=token)
    profile_response.raise_for_status()
    emails_response = await client.get("user/emails", token=token)
    emails_response.raise_for_status()
    profile, emails = profile_response.json(), emails_response.json()
    primary = next((e["email"] for e in emails if e.get("primary") and e.get("verified")), None)
    return str(profile["id"]), primary, profile.get("name") or profile.get("login")


@router.get("/{provider}/callback", summary="Where the provider sends the browser back")
async def callback(provider: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    client = _client(state, provider)
    try:
        token: dict[str, Any] = await client.authorize_access_token(request)
    except OAuthError as exc:
        raise ProblemError(400, "oauth-failed", "Sign-in failed", f"{exc.error}: {exc.description}") from exc
    except JoseError as exc:
        # A bad ID token (signature, nonce, audience, expiry) is the provider's answer being refused.
        raise ProblemError(400, "oauth-failed", "Sign-in failed", f"invalid ID token: {exc}") from exc
    except httpx.HTTPError as exc:
        raise ProblemError(502, "provider-unreachable", "Sign-in provider unreachable", str(exc)) from exc
    if provider == "google":
        info = token.get("userinfo") or {}
        subject = str(info["sub"])
        email = info.get("email") if info.get("email_verified") else None
        name = info.get("name")
    else:
        try:
            subject, email, name = await _github_identity(client, token)
        except httpx.HTTPError as exc:
            raise ProblemError(502, "provider-unreachable", "Sign-in provider failed", str(exc)) from exc
    user = await sign_in(
        session, provider, subject, verified_email=email, display_name=name, admins=state.settings.admins
    )
    pair = await state.tokens.issue(session, user)
    await session.commit()
    response = RedirectResponse(request.session.pop(REDIRECT_KEY, "/"), status_code=303)
    set_session_cookies(request, response, pair, state.settings.refresh_token_ttl_s)
    return response
