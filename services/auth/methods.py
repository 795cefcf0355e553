"""Which ways of signing in this deployment offers, so sign-in pages show only those that work."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.auth.deps import StateDep
from services.auth.oauth.service import PROVIDER_NAMES, configured

router = APIRouter(prefix="/auth/v1", tags=["sign-in methods"])


class OAuthProviderOut(BaseModel):
    id: str = Field(examples=["github"], description="The provider's id in `/auth/v1/oauth/{provider}/…`.")
    name: str = Field(examples=["GitHub"], description="What to call it on a button.")
    login_url: str = Field(
        examples=["/auth/v1/oauth/github/login"],
        description="Where to send the browser (add `?redirect_to=` for where it comes back).",
    )


class SignInMethodsOut(BaseModel):
    phone: bool = Field(description="Whether phone numbers can sign in with a one-time code.")
    default_phone_region: str | None = Field(
        examples=["US"],
        description="The country (ISO 3166-1 alpha-2) assumed for numbers without a +country code "
        "when a request names none; null when such numbers need a `region`.",
    )
    oauth: list[OAuthProviderOut] = Field(description="The OAuth providers that are configured, in display order.")


@router.get("/providers", response_model=SignInMethodsOut, summary="The sign-in methods this service offers")
async def providers(state: StateDep) -> SignInMethodsOut:
    """Public: a signed-out page asks it before showing sign-in buttons."""
    return SignInMethodsOut(
        phone=state.phone is not None,
        default_phone_region=state.settings.default_phone_region or None,
        oauth=[
            OAuthProviderOut(id=provider, name=PROVIDER_NAMES[provider], login_url=f"/auth/v1/oauth/{provider}/login")
            for provider in configured(state.oauth)
        ],
    )
