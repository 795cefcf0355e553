from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class SigningKey(Base):
    """An access-token signing key. The private JWK is kept encrypted (JWE) under the auth
    service's key-encryption secret; the public JWK is published in the JWKS until every token it
    signed has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]]
    private_jwk_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The newest unretired key signs; retired keys still verify until their tokens expire.
    retired_at: Mapped[datetime | None]
