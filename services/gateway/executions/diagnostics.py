"""The compile phase's messages as diagnostics in responses (``phases[].diagnostics``): parsed from
the stored output when a response is built, so nothing is stored twice and old executions get them too."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import diagnostics
from shared.executions import PhaseRecord


class DiagnosticOut(BaseModel):
    """One compiler message at its place in a submitted file."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "file": "main.c",
                    "line": 3,
                    "column": 13,
                    "end_line": None,
                    "end_column": None,
                    "severity": "error",
                    "message": "'y' undeclared (first use in this function)",
                    "code": None,
                }
            ]
        }
    )

    file: str = Field(description="The submitted file, by its name in `files`.")
    line: int = Field(description="1-based line.")
    column: int | None = Field(description="1-based column as the compiler counts it; null when it gives none.")
    end_line: int | None = Field(default=None, description="Where the marked range ends, when the compiler says.")
    end_column: int | None = Field(default=None, description="Column where the marked range ends (inclusive).")
    severity: Literal["error", "warning", "note", "info"]
    message: str = Field(description="The message's first line (at most 500 characters).")
    code: str | None = Field(description="The compiler's code for it, e.g. `E0308`, `TS2322`, `-Wunused-variable`.")


def of_phase(phase: PhaseRecord) -> list[DiagnosticOut]:
    """The compile phase's diagnostics (shared.diagnostics.of_phase) as response models."""
    return [DiagnosticOut.model_validate(found, from_attributes=True) for found in diagnostics.of_phase(phase)]
