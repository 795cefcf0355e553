"""Request and response bodies of stream tickets."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StreamTicketCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"execution_id": "0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6"}]}
    )

    execution_id: uuid.UUID | None = Field(
        default=None,
        description="Bind the ticket to this execution: it then opens only that execution's stream. Without it, "
        "the ticket opens any one of the caller's WebSockets (a stream or an interactive session).",
    )


class StreamTicketOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": "crht_h0Xq2oV3mN9pL4rS8tU1wY6zA5bC7dE0fG2hJ4kM6nP",
                    "expires_at": "2026-11-26T12:01:00Z",
                    "execution_id": None,
                }
            ]
        }
    )

    ticket: str = Field(description="Add `?ticket=<ticket>` to the WebSocket URL. Single use.")
    expires_at: datetime = Field(description="Unused past this instant, the ticket is refused.")
    execution_id: uuid.UUID | None = Field(description="The execution the ticket is bound to, if any.")
