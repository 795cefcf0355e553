"""The analysis vocabulary: the API's request and result, and the job the gateway queues for an
executor (docs/design/collaboration-and-analysis.md, section 2).

Positions are 1-based; columns count UTF-16 code units, as CodeMirror (and JavaScript strings)
do, whatever unit the tool reported: the parsers convert using the submitted source."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

# Part of every cache key: bump it when a result's shape or meaning changes, so results cached
# under the old rules are never served for the new ones.
SCHEMA_VERSION = 1

Check = Literal["lint", "format", "types", "metrics"]
Severity = Literal["error", "warning", "info", "hint"]
Applicability = Literal["safe", "unsafe"]


class AnalysisStatus(StrEnum):
    #: Every tool ran and its output was read.
    ok = "ok"
    #: A tool ran out of CPU or wall time (the sandbox's limits).
    timeout = "timeout"
    #: A tool hit another limit: memory or output.
    limit = "limit"
    #: A tool or its sandbox failed in a way that says nothing about the code.
    error = "error"
    #: No analyser exists for this language (yet): not an error.
    unsupported = "unsupported"


def _lint() -> list[Check]:
    return ["lint"]


class AnalysisFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Relative path, e.g. `main.py` or `pkg/util.py`.", examples=["main.py"])
    content: str = Field(description="The file's text (UTF-8, no NUL characters).")


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"language": "python", "files": [{"name": "main.py", "content": "import os\nprint(x)\n"}]},
                {
                    "language": "python",
                    "files": [{"name": "main.py", "content": "x = {  'a':1 }\n"}],
                    "checks": ["lint", "format"],
                },
            ]
        },
    )

    language: str = Field(description="Language id from GET /v1/languages.", examples=["python"])
    version: str | None = Field(default=None, description="The language version (prefix match, e.g. `3.11`).")
    files: list[AnalysisFile] = Field(description="The files to analyse, as an execution would get them.")
    checks: list[Check] = Field(
        default_factory=_lint,
        description="`lint`: diagnostics with quick fixes (C, C++, Go, JavaScript and TypeScript: their "
        "compiler's own checks); `format`: each file as the formatter writes it; `types`: a type checker that "
        "is a tool of its own (Python: mypy), only when asked for; "
        "`metrics`: line counts and per-function cyclomatic complexity (lizard; every language).",
        min_length=1,
        max_length=len(get_args(Check)),
    )


class TextEdit(BaseModel):
    file: str
    line: int = Field(ge=1)
    column: int = Field(ge=1, description="UTF-16 code units, 1-based.")
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1, description="UTF-16 code units, 1-based, exclusive.")
    text: str = Field(description="What replaces the range (empty: a deletion).")


class QuickFix(BaseModel):
    title: str
    applicability: Applicability = Field(
        description="`safe`: keeps the code's meaning; `unsafe`: may change it (offer, never apply unasked)."
    )
    edits: list[TextEdit] = Field(description="Applied together, as one change.")


class AnalysisDiagnostic(BaseModel):
    file: str = Field(description="One of the submitted files.")
    line: int = Field(ge=1)
    column: int = Field(ge=1, description="UTF-16 code units, 1-based.")
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1, description="UTF-16 code units, 1-based, exclusive.")
    severity: Severity
    source: str = Field(description="The tool that reported it.", examples=["ruff"])
    code: str | None = Field(default=None, description="The tool's rule code.", examples=["F401"])
    message: str
    url: str | None = Field(default=None, description="The rule's documentation.")
    fixes: list[QuickFix] = Field(default_factory=list)


class ToolVersion(BaseModel):
    name: str = Field(examples=["ruff"])
    version: str = Field(examples=["0.17.6"])


class FormattedFile(BaseModel):
    name: str
    content: str = Field(description="The file as the formatter wrote it (unchanged when it could not parse it).")
    changed: bool


class FunctionMetrics(BaseModel):
    file: str = Field(description="One of the submitted files.")
    name: str = Field(description="The function's name as lizard reads it.", examples=["classify"])
    line: int = Field(ge=1, description="Where it starts.")
    ccn: int = Field(ge=1, description="Cyclomatic complexity (1 + its decision points).")
    nloc: int = Field(ge=0, description="Lines of code in it, comments and blank lines left out.")
    params: int = Field(ge=0, description="Its parameters.")


class CodeMetrics(BaseModel):
    """The `metrics` check: lizard's per-function numbers for the files it reads (by extension:
    C/C++, Java, C#, JavaScript/TypeScript, Python, Go, Rust, Kotlin, Swift, Scala, Ruby, PHP, Lua,
    Erlang, Fortran, Perl, R, Zig and more), line counts alone for the others."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": 12,
                    "code_lines": 10,
                    "measured_files": ["main.py"],
                    "function_count": 1,
                    "functions": [{"file": "main.py", "name": "classify", "line": 1, "ccn": 4, "nloc": 8, "params": 1}],
                    "ccn_max": 4,
                    "ccn_avg": 4.0,
                }
            ]
        }
    )

    lines: int = Field(ge=0, description="Lines of every submitted file.")
    code_lines: int = Field(
        ge=0, description="Lines with code: lizard's NLOC where it reads the file, else the non-blank lines."
    )
    measured_files: list[str] = Field(
        description="The files lizard read (functions come from these); empty: line counts only."
    )
    function_count: int = Field(ge=0, description="Functions found, all of them (`functions` lists the first 500).")
    functions: list[FunctionMetrics] = Field(description="By file and line, at most 500.")
    ccn_max: int | None = Field(description="The highest cyclomatic complexity; null without functions.")
    ccn_avg: float | None = Field(description="The mean cyclomatic complexity over all functions; null without any.")


class AnalysisResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c0e3a" + "0" * 56,
                    "language": "python",
                    "version": "3.13",
                    "status": "ok",
                    "tools": [{"name": "ruff", "version": "0.17.6"}],
                    "diagnostics": [
                        {
                            "file": "main.py",
                            "line": 1,
                            "column": 8,
                            "end_line": 1,
                            "end_column": 10,
                            "severity": "warning",
                            "source": "ruff",
                            "code": "F401",
                            "message": "`os` imported but unused",
                            "url": "https://docs.astral.sh/ruff/rules/unused-import",
                            "fixes": [
                                {
                                    "title": "Remove unused import: `os`",
                                    "applicability": "safe",
                                    "edits": [
                                        {
                                            "file": "main.py",
                                            "line": 1,
                                            "column": 1,
                                            "end_line": 2,
                                            "end_column": 1,
                                            "text": "",
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                    "cached": False,
                    "duration_ms": 41,
                }
            ]
        }
    )

    id: str = Field(description="The analysis' key: GET /v1/analyses/{id} reads it while it is cached.")
    language: str
    version: str = Field(description="The language version the tools were configured for.")
    status: AnalysisStatus
    detail: str | None = Field(default=None, description="Why the status is not `ok`.")
    tools: list[ToolVersion] = Field(default_factory=list)
    diagnostics: list[AnalysisDiagnostic] = Field(default_factory=list)
    cached: bool = Field(default=False, description="Answered from the cache: no tool ran for this request.")
    duration_ms: int = Field(default=0, description="Time the tools took in their sandboxes.")
    formatted: list[FormattedFile] | None = Field(default=None, description="With the `format` check.")
    metrics: CodeMetrics | None = Field(default=None, description="With the `metrics` check.")


class MetricsTarget(BaseModel):
    """The snippet revision whose files a `metrics` job analyses."""

    snippet_id: uuid.UUID
    revision: int


class AnalysisJob(BaseModel):
    """What the gateway queues (``ANALYSIS_QUEUE``) and an executor runs."""

    key: str
    language: str
    variant: str
    checks: list[Check]
    files: list[AnalysisFile]
    # Callers without an account get the stricter limits (shared.analysis.tools.analysis_limits)
    # and their class's sandbox mode.
    anonymous: bool
    # Epoch seconds: past it nobody waits for the result, and an executor drops the job.
    deadline: float
    # A job taken back from a dead executor's processing list is queued once more, never twice.
    attempt: int = 0
    # Metrics of a saved snippet revision (gateway/analyses/metrics.py): the executor stores them
    # in code_metrics, also when the result was already cached.
    persist: MetricsTarget | None = None
