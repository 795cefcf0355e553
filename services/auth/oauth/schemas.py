"""What a sign-in provider says about the person signing in, once its answer is verified."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProviderIdentity(BaseModel):
    subject: str = Field(description="The provider's stable id for the account (`sub`, GitHub's user id).")
    email: str | None = Field(description="Only an address the provider says is verified; else None.")
    name: str | None
