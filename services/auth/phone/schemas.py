"""Request and response bodies of phone sign-in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.auth.tokens.schemas import SessionMode


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(
        max_length=32, examples=["+14155552671"], description="International format (E.164 or readable)."
    )


class StartOut(BaseModel):
    status: str = Field(examples=["pending"])
    phone: str = Field(description="The number, normalised to E.164.")
    provider: str = Field(description="`twilio-verify`, or `development` (codes are only logged).")


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=32)
    code: str = Field(max_length=16)
    session: SessionMode = "token"
