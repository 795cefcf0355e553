"""Request and response bodies of the batches API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.executions.schemas import ExecutionCreate, ExecutionOut
from shared.executions import ExecutionStatus


class BatchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "executions": [
                        {"language": "python", "source": "print(input())", "stdin": "first"},
                        {"language": "python", "source": "print(input())", "stdin": "second"},
                    ]
                }
            ]
        },
    )

    executions: list[ExecutionCreate] = Field(
        min_length=1,
        description="The executions, each as in POST /v1/executions; at most the server's batch size (20 by default).",
    )


class BatchOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    status: ExecutionStatus = Field(
        description="`finished` once every execution has finished, `queued` while none has started, else `running`."
    )
    finished: int = Field(description="How many of the executions have finished.", examples=[2])
    total: int = Field(description="How many executions the batch has.", examples=[2])
    executions: list[ExecutionOut] = Field(description="Every execution of the batch, in submission order.")
