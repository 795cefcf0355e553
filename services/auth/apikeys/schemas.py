"""Request and response bodies of the API-key endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.auth.scopes import Scope


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["CI runner"])
    scopes: list[Scope] = Field(min_length=1, examples=[["executions:write", "executions:read"]])
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("name")
    @classmethod
    def _storable(cls, name: str) -> str:
        # PostgreSQL text takes neither NUL characters nor lone surrogates: refuse them here (422).
        if "\x00" in name:
            raise ValueError("must not contain NUL characters")
        try:
            name.encode()
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (no lone surrogates)") from None
        return name

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[Scope]) -> list[Scope]:
        return sorted(set(scopes))


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="Visible part of the key, `crh_<prefix>_...`.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; only its hash is stored.")
