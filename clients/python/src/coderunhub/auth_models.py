"""Models of the auth service's answers the SDK uses (phone sign-in, API keys). The auth service
has an OpenAPI document of its own; these few shapes are written by hand."""

from __future__ import annotations

import datetime
import uuid

from coderunhub._base import ResponseModel


class User(ResponseModel):
    id: uuid.UUID
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str
    created_at: datetime.datetime


class PhoneStarted(ResponseModel):
    status: str
    #: The number, normalised to E.164: pass this one to phone_verify.
    phone: str
    #: ``twilio-verify``, or ``development`` (the code is only logged by the auth service).
    provider: str


class SignedIn(ResponseModel):
    user: User
    token_type: str = "Bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_in: int
    access_token: str | None = None
    refresh_token: str | None = None


class ApiKey(ResponseModel):
    id: uuid.UUID
    name: str
    #: Visible part of the key, ``crh_<prefix>_...``.
    prefix: str
    scopes: list[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = None
    last_used_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None


class CreatedApiKey(ApiKey):
    #: The key itself: shown this once, only its hash is stored.
    key: str
