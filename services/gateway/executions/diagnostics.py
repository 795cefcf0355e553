"""The compile phase's messages as diagnostics in responses (``phases[].diagnostics``): parsed from
the stored output when a response is built, so nothing is stored twice and old executions get them too."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import diagnostics
from shared.executions import Phase, PhaseRecord, Verdict


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


# Parsed from at most this much of each stream: the first 200 messages fit in it, and a response
# never spends more than a few milliseconds of the gateway's event loop on them, however often a
# caller reads an execution whose compiler wrote megabytes.
PARSED_BYTES = 64 * 1024


def of_phase(phase: PhaseRecord) -> list[DiagnosticOut]:
    """The compile phase's diagnostics; none for other phases. Parsed only when there is something
    to parse: a clean compile with no output (the common case) costs nothing."""
    if phase.phase != Phase.compile or (phase.verdict == Verdict.ok and not phase.stdout and not phase.stderr):
        return []
    text = (phase.stderr[:PARSED_BYTES] + b"\n" + phase.stdout[:PARSED_BYTES]).decode("utf-8", errors="replace")
    return [
        DiagnosticOut(
            file=found.file,
            line=found.line,
            column=found.column,
            end_line=found.end_line,
            end_column=found.end_column,
            severity=found.severity,
            message=found.message,
            code=found.code,
        )
        for found in diagnostics.parse(text)
    ]
