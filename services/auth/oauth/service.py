"""Google (OpenID Connect) and GitHub (OAuth 2) sign-in through authlib: authorization code with
PKCE and state (and nonce plus ID-token validation for Google). The first sign-in creates the
account; a verified email links the identity to the account that already has it.

Nothing here commits; the endpoints own that boundary.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from services.auth.oauth.schemas import ProviderIdentity
from services.auth.tokens.service import TokenPair, TokenService
from services.auth.users.service import sign_in
from shared.problems import NotFoundProblem, ProblemError
from shared.settings import AuthSettings

# Every provider this service can speak to, with the name people know it by.
PROVIDER_NAMES = {"google": "Google", "github": "GitHub"}


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


def client(oauth: OAuth, provider: str) -> StarletteOAuth2App:
    found = oauth.create_client(provider)
    if found is None:
        raise NotFoundProblem(f"Sign-in provider {provider!r}")
    return found


def configured(oauth: OAuth) -> list[str]:
    """The providers with credentials (a provider without them was never registered)."""
    return [provider for provider in PROVIDER_NAMES if oauth.create_client(provider) is not None]


def safe_redirect(target: str, settings: AuthSettings) -> str:
    """Only a path, or an allowed origin: never an open redirect."""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    if f"{parts.scheme}://{parts.netloc}" in settings.allowed_redirect_origins:
        return target
    raise ProblemError(400, "bad-redirect", "Redirect not allowed", f"{target!r} is not an allowed destination.")


class SignInRefused(ProblemError):
    """The provider's answer was refused; ``reason`` is the OAuth error code when there is one
    (``access_denied``: the person said no; ``mismatching_state``: not this browser's sign-in)."""

    def __init__(self, detail: str, reason: str | None = None) -> None:
        super().__init__(400, "oauth-failed", "Sign-in failed", detail)
        self.reason = reason


def _refused(detail: str, reason: str | None = None) -> ProblemError:
    return SignInRefused(detail, reason)


def _unreachable(exc: httpx.HTTPError) -> ProblemError:
    return ProblemError(502, "provider-unreachable", "Sign-in provider unreachable", str(exc))


async def _exchange_code(oauth_client: StarletteOAuth2App, request: Request) -> dict[str, Any]:
    """The code for tokens; for Google, authlib also checks the ID token (signature, issuer,
    audience, expiry, nonce) against what this browser's login session holds."""
    try:
        token: dict[str, Any] = await oauth_client.authorize_access_token(request)
    except OAuthError as exc:
        raise _refused(f"{exc.error}: {exc.description}", exc.error) from exc
    except JoseError as exc:
        # A bad ID token is the provider's answer being refused, not our failure.
        raise _refused(f"invalid ID token: {exc}") from exc
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from exc
    return token


def _google_identity(token: dict[str, Any]) -> ProviderIdentity:
    # authlib only sets userinfo after validating an ID token; without one there is nobody to trust.
    info = token.get("userinfo")
    if not info or not info.get("sub"):
        raise _refused("the provider sent no valid ID token")
    email = info.get("email") if info.get("email_verified") else None
    return ProviderIdentity(subject=str(info["sub"]), email=email, name=info.get("name"))


async def _github_identity(oauth_client: StarletteOAuth2App, token: dict[str, Any]) -> ProviderIdentity:
    try:
        profile_response = await oauth_client.get("user", token=token)
        profile_response.raise_for_status()
        emails_response = await oauth_client.get("user/emails", token=token)
        emails_response.raise_for_status()
        profile, emails = profile_response.json(), emails_response.json()
    except httpx.HTTPError as exc:
        raise ProblemError(502, "provider-unreachable", "Sign-in provider failed", str(exc)) from exc
    primary = next((e["email"] for e in emails if e.get("primary") and e.get("verified")), None)
    return ProviderIdentity(subject=str(profile["id"]), email=primary, name=profile.get("name") or profile.get("login"))


async def complete_sign_in(
    oauth_client: StarletteOAuth2App,
    provider: str,
    request: Request,
    session: AsyncSession,
    tokens: TokenService,
    settings: AuthSettings,
) -> TokenPair:
    """The provider's answer, verified, becomes a user (found, linked or created) and a session."""
    token = await _exchange_code(oauth_client, request)
    if provider == "google":
        identity = _google_identity(token)
    else:
        identity = await _github_identity(oauth_client, token)
    user = await sign_in(
        session,
        provider,
        identity.subject,
        verified_email=identity.email,
        display_name=identity.name,
        admins=settings.admins,
    )
    return await tokens.issue(session, user)
