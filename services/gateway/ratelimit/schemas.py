"""Response bodies of the limits API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.ratelimit.service import Budget


class BudgetOut(BaseModel):
    name: Budget = Field(
        description="`executions`: executions created (each batch item and snippet run counts); "
        "`reads`: GET requests; `writes`: other requests that change something; `analyses`: analyses "
        "requested (POST /v1/analyses, answers from the cache too)."
    )
    policy: str = Field(description="The rate in the server's notation.", examples=["60/minute"])
    limit: int = Field(description="Uses allowed per window.", examples=[60])
    window_s: int = Field(description="The moving window, in seconds.", examples=[60])
    remaining: int = Field(description="Uses left in the current window.", examples=[57])
    reset_after_s: int = Field(description="Seconds until the oldest use leaves the window.", examples=[41])


class InFlightOut(BaseModel):
    current: int = Field(description="Your executions queued or running now.", examples=[1])
    limit: int = Field(description="At most this many at once; beyond it, creating one is a 429.", examples=[8])
    scope: Literal["user", "address"] = Field(
        description="Counted per account (all its API keys and sessions) or, for anonymous callers, per client address."
    )


class QueueOut(BaseModel):
    depth: int = Field(description="Jobs due on the execution queue (everyone's, queued or running).", examples=[3])
    limit: int = Field(description="While the queue holds this many, creating executions is a 503.", examples=[1000])


class LimitsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enabled": True,
                    "caller": "user",
                    "budgets": [
                        {
                            "name": "executions",
                            "policy": "60/minute",
                            "limit": 60,
                            "window_s": 60,
                            "remaining": 57,
                            "reset_after_s": 41,
                        },
                        {
                            "name": "reads",
                            "policy": "600/minute",
                            "limit": 600,
                            "window_s": 60,
                            "remaining": 598,
                            "reset_after_s": 60,
                        },
                        {
                            "name": "writes",
                            "policy": "120/minute",
                            "limit": 120,
                            "window_s": 60,
                            "remaining": 120,
                            "reset_after_s": 60,
                        },
                    ],
                    "in_flight": {"current": 1, "limit": 8, "scope": "user"},
                    "queue": {"depth": 3, "limit": 1000},
                }
            ]
        }
    )

    enabled: bool = Field(description="Whether this gateway enforces rate limits (the queue bound always applies).")
    caller: Literal["anonymous", "user", "api_key"] = Field(
        description="Whose budgets these are: this API key's, this user's sessions', or this client address's."
    )
    budgets: list[BudgetOut]
    in_flight: InFlightOut
    queue: QueueOut
