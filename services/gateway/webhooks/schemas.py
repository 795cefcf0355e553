"""Bodies of the webhooks API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.webhooks import EVENT_HEADER, SIGNATURE_HEADER


class WebhookSecretOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "secret": "whsec_0dbd3f0Zt2yq3bq1mDLmBHc-4f0rHP3Dq8v8cN2lLx8",
                    "created_at": "2026-11-26T12:00:00Z",
                    "rotated_at": None,
                    "signature_header": SIGNATURE_HEADER,
                    "event_header": EVENT_HEADER,
                }
            ]
        }
    )

    secret: str = Field(
        description="Signs every webhook POSTed for your executions: the `CodeRunHub-Signature` header is "
        "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.' + raw body)>`."
    )
    created_at: datetime
    rotated_at: datetime | None = Field(description="When the secret was last replaced, if ever.")
    signature_header: str = Field(default=SIGNATURE_HEADER, description="The header carrying the signature.")
    event_header: str = Field(default=EVENT_HEADER, description="The header naming the event.")
