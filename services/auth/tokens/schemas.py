"""Request and response bodies of the session endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.auth.tokens.cookies import set_session_cookies
from services.auth.tokens.service import TokenPair

SessionMode = Literal["token", "cookie"]


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = None
    session: SessionMode = "token"


class LogoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    display_name: str | None
    email: str | None
    phone: str | None
    role: str
    created_at: datetime


class SessionOut(BaseModel):
    user: UserOut
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_in: int = Field(description="Seconds the access token is valid.")
    access_token: str | None = Field(description="Null in cookie mode (the token is an HttpOnly cookie).")
    refresh_token: str | None = Field(description="Null in cookie mode.")


def session_response(
    request: Request, response: Response, pair: TokenPair, mode: SessionMode, refresh_ttl: int
) -> SessionOut:
    """Tokens in the body for API clients; HttpOnly cookies (and none in the body) for browsers."""
    user = UserOut.model_validate(pair.user)
    if mode == "cookie":
        set_session_cookies(request, response, pair, refresh_ttl)
        return SessionOut(user=user, expires_in=pair.expires_in, access_token=None, refresh_token=None)
    return SessionOut(
        user=user, expires_in=pair.expires_in, access_token=pair.access_token, refresh_token=pair.refresh_token
    )
