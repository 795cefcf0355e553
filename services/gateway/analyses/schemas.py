"""Request and response bodies of the analyses API: the shared vocabulary (shared/analysis/model.py,
also what executors cache), and what only the gateway answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.analysis.model import AnalysisRequest, AnalysisResult, Check, ToolVersion

__all__ = ["AnalyserOut", "AnalysisQueued", "AnalysisRequest", "AnalysisResult", "ToolVersion"]


class AnalysisQueued(BaseModel):
    """The analysis is still running: its result will be at `Location` (GET /v1/analyses/{id})."""

    id: str = Field(description="The analysis' key.")


class AnalyserOut(BaseModel):
    language: str = Field(examples=["python"])
    version: str | None = Field(
        default=None,
        description="The language version these tools serve, where a compiler is each version's own "
        "(C, C++, Go, TypeScript); null: every version of the language.",
        examples=["gcc-14"],
    )
    checks: list[Check] = Field(description="The checks offered for this language.")
    tools: list[ToolVersion] = Field(
        description="The tools that run them, with the version the executors' analysis image reports "
        "(or the pinned one, until an executor reported it)."
    )
    available: bool = Field(description="Whether an executor reported every one of these tools.")
