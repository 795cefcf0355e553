"""Request and response bodies of phone sign-in."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.auth.tokens.schemas import SessionMode

Region = Annotated[
    str | None,
    Field(
        pattern="^[A-Za-z]{2}$",
        examples=["US"],
        description=(
            "The country (ISO 3166-1 alpha-2) of a number written without its +country code, e.g. "
            "`(415) 555-0163` with `US`. A number starting with + ignores it. When absent, the "
            "service's default region applies, if it has one (`GET /auth/v1/providers`)."
        ),
    ),
]


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(
        max_length=32,
        examples=["+14155552671"],
        description="International format (E.164 or readable), or national format with `region`.",
    )
    region: Region = None


class StartOut(BaseModel):
    status: str = Field(examples=["pending"])
    phone: str = Field(description="The number, normalised to E.164.")
    provider: str = Field(description="`twilio-verify`, or `development` (codes are only logged).")


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=32, description="The number as sent to `/start` (or the E.164 it answered).")
    region: Region = None
    code: str = Field(max_length=16)
    session: SessionMode = "token"
