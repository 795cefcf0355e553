"""Response bodies of the history API."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.executions.schemas import EXECUTION_EXAMPLE, ExecutionOut


class HistoryScope(StrEnum):
    mine = "mine"
    all = "all"


class ExecutionPage(BaseModel):
    """One page of executions, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXECUTION_EXAMPLE],
                    "next_cursor": "WyIyMDI2LTExLTI2VDEyOjAwOjAwLjEwMDAwMCswMDowMCIsIjAxOTBjN2EyIl0",
                }
            ]
        }
    )

    items: list[ExecutionOut] = Field(description="Executions, newest first (by creation time, then id).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
