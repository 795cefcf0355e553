"""Response bodies of the signing-key endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class RotatedOut(BaseModel):
    kid: str
