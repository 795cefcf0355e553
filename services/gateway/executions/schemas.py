"""Request and response bodies of the executions API."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from services.gateway import links as public_links
from services.gateway.executions.diagnostics import DiagnosticOut, of_phase
from shared.executions import (
    CaseRecord,
    CompareMode,
    Exceeded,
    ExecutionRecord,
    ExecutionStatus,
    FileEncoding,
    Limits,
    OutputFile,
    Phase,
    PhaseRecord,
    RunRecord,
    Verdict,
)
from shared.signals import signal_name
from shared.webhooks import WebhookDelivery

OutputEncoding = Literal["text", "base64"]


class LimitsIn(BaseModel):
    """Per-phase limits; omitted fields take the language's or the server's default."""

    model_config = ConfigDict(extra="forbid")

    wall_time_ms: int | None = Field(default=None, description="Wall-clock time limit in milliseconds.")
    cpu_time_ms: int | None = Field(default=None, description="CPU time limit (user + system, all processes).")
    memory_mb: int | None = Field(default=None, description="Memory limit in MiB.")
    processes: int | None = Field(default=None, description="Maximum number of processes and threads.")
    output_bytes: int | None = Field(default=None, description="Maximum bytes kept per stream (stdout, stderr).")
    file_size_kb: int | None = Field(default=None, description="Largest file the program may write, in KiB.")


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Relative path, e.g. `main.py` or `lib/util.py`.", examples=["main.py"])
    content: str
    # --- binary input files (issue 17) ---
    # Null rather than a "text" default: generated clients (openapi-typescript) make a field with a
    # default required, and every existing {name, content} file a type error.
    encoding: FileEncoding | None = Field(
        default=None,
        description="`text` (UTF-8; also when omitted or null) or `base64`: `content` is the base64 of the "
        "file's bytes (any bytes; sizes count the decoded bytes). The entry file must be text. Executions only: "
        "snippets hold text.",
    )


class JudgeCaseIn(BaseModel):
    """One test case: the program runs with this stdin and must print `expected_stdout`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "sample 1", "stdin": "2 3\n", "expected_stdout": "5\n"}]},
    )

    name: str | None = Field(default=None, max_length=100, description="A label shown with the case's result.")
    stdin: str = Field(default="", description="Standard input of this case's run (no NUL characters).")
    expected_stdout: str = Field(
        description="The standard output this case must produce, compared as `compare` says (no NUL characters)."
    )


JUDGING_DESCRIPTION = (
    "Judging: with `test_cases`, the program is compiled once and then run once per case, each run in its own "
    "sandbox with the run `limits`, the case's stdin, and `args`. A case is `accepted` when its stdout matches "
    "`expected_stdout`, `wrong_answer` when it does not, or takes its run's verdict (`time_limit`, "
    "`memory_limit`, `runtime_error`, `output_limit`, `internal_error`) when the run failed. The execution's "
    "verdict (also `judge.verdict`) is `accepted` when every case is, otherwise that of the first failing case in "
    "`test_cases` order; every case runs. At most `judge_max_tests` cases (50 by default); the top-level `stdin` "
    "must then be empty, and interactive executions cannot be judged."
)


class ExecutionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"language": "python", "source": "print(input())", "stdin": "hello"},
                {
                    "language": "cpp",
                    "files": [{"name": "main.cpp", "content": "#include <iostream>\nint main(){std::cout<<42;}"}],
                    "limits": {"cpu_time_ms": 1000, "memory_mb": 128},
                },
                {
                    "language": "python",
                    "source": "a, b = map(int, input().split())\nprint(a + b)",
                    "test_cases": [
                        {"name": "sample", "stdin": "2 3\n", "expected_stdout": "5\n"},
                        {"stdin": "-1 1\n", "expected_stdout": "0\n"},
                    ],
                    "compare": "whitespace",
                },
            ]
        },
    )

    language: str = Field(description="Language id from GET /v1/languages.", examples=["python"])
    version: str | None = Field(default=None, description="Required version (prefix match, e.g. `3.11`).")
    source: str | None = Field(default=None, description="A single source file; use `files` for several.")
    files: list[FileIn] | None = Field(default=None, description="Source files; mutually exclusive with `source`.")
    entry: str | None = Field(
        default=None, description="Entry file among `files`; defaults to the language's file name convention."
    )
    stdin: str = Field(default="", description="Data sent to the program's standard input.")
    args: list[str] = Field(default_factory=list, description="Command-line arguments passed to the program.")
    compile_options: list[str] = Field(
        default_factory=list,
        description="Compiler flags, each matching one of the language's `compile_options` patterns "
        "(GET /v1/languages); passed as separate arguments, never through a shell.",
        examples=[["-O3", "-Wall"]],
    )
    limits: LimitsIn | None = Field(default=None, description="Limits of the run phase.")
    compile_limits: LimitsIn | None = Field(default=None, description="Limits of the compile phase.")
    test_cases: list[JudgeCaseIn] | None = Field(default=None, description=JUDGING_DESCRIPTION)
    compare: CompareMode = Field(
        default=CompareMode.exact,
        description="How each case's stdout is compared with `expected_stdout`: `exact` (byte for byte) or "
        "`whitespace` (line by line, ignoring trailing spaces, tabs and carriage returns at the end of each line, "
        "and blank lines at the end of the output). Used only with `test_cases`.",
    )
    # --- output files (issue 17) ---
    output_files: list[str] = Field(
        default_factory=list,
        description="Paths (relative to the program's working directory; files or directories, whose files are "
        "taken recursively) sent back after the run phase exits cleanly (exit code 0), in the result's `files` "
        "and at GET /v1/executions/{id}/files/{name}. At most 16; paths that do not exist are left out. Files "
        "larger than the server's cap together make the verdict `output_limit`.",
        examples=[["out.png", "results"]],
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Webhook: when the execution finishes, its result (this API's execution object, text "
        "encoding) is POSTed here as JSON, signed with your webhook secret (GET /v1/webhooks/secret). "
        "http or https; the host must resolve to public addresses only. Needs an account.",
        examples=["https://example.com/hooks/coderunhub"],
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.source is None) == (self.files is None):
            raise ValueError("give exactly one of `source` or `files`")
        return self


# Examples in the OpenAPI document.
_RUN_EXAMPLE: JsonDict = {
    "verdict": "ok",
    "message": None,
    "exceeded": None,
    "exit_code": 0,
    "signal": None,
    "signal_name": None,
    "stdout": "hello\n",
    "stderr": "",
    "encoding": "text",
    "stdout_truncated": False,
    "stderr_truncated": False,
    "cpu_time_ms": 11.2,
    "wall_time_ms": 14.8,
    "memory_kb": 9120,
    "started_at": "2026-11-26T12:00:00.120Z",
    "finished_at": "2026-11-26T12:00:00.135Z",
}
EXECUTION_EXAMPLE: JsonDict = {
    "id": "0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6",
    "language": "python",
    "version": "3.11.2",
    "status": "finished",
    "verdict": "ok",
    "message": None,
    "created_at": "2026-11-26T12:00:00.100Z",
    "started_at": "2026-11-26T12:00:00.110Z",
    "finished_at": "2026-11-26T12:00:00.140Z",
    "limits": {
        "wall_time_ms": 10000,
        "cpu_time_ms": 5000,
        "memory_mb": 256,
        "processes": 128,
        "output_bytes": 262144,
        "file_size_kb": 131072,
    },
    "compile_limits": None,
    "compile": None,
    "run": _RUN_EXAMPLE,
    "tests": [],
    "judge": None,
    "links": {
        "self": "https://coderunhub.example/v1/executions/0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6",
        "stream": "wss://coderunhub.example/v1/executions/0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6/stream",
    },
}


class _RunOut(BaseModel):
    # What a phase and a judged case report alike about a run of the program. The descriptions that
    # differ between the two (the verdict's, exceeded's, the output's) are given by each of them:
    # a field a subclass redeclares keeps its place here, so both schemas keep their field order.
    verdict: Verdict
    message: str | None
    exceeded: Exceeded | None
    exit_code: int | None
    signal: int | None
    signal_name: str | None
    stdout: str | None
    stderr: str | None
    encoding: OutputEncoding
    stdout_truncated: bool
    stderr_truncated: bool
    cpu_time_ms: float | None
    wall_time_ms: float | None
    memory_kb: int | None = Field(description="Peak resident memory of the largest process, in KiB.")
    started_at: datetime | None
    finished_at: datetime | None


def _run_fields(run: RunRecord, encoding: OutputEncoding, with_output: bool) -> dict[str, Any]:
    """``_RunOut``'s fields for a run of the program."""
    return {
        "verdict": run.verdict,
        "message": run.message,
        "exceeded": run.exceeded,
        "exit_code": run.exit_code,
        "signal": run.signal,
        "signal_name": signal_name(run.signal) if run.signal else None,
        "stdout": encode_output(run.stdout, encoding) if with_output else None,
        "stderr": encode_output(run.stderr, encoding) if with_output else None,
        "encoding": encoding,
        "stdout_truncated": run.stdout_truncated,
        "stderr_truncated": run.stderr_truncated,
        "cpu_time_ms": run.cpu_time_us / 1000 if run.cpu_time_us is not None else None,
        "wall_time_ms": run.wall_time_us / 1000 if run.wall_time_us is not None else None,
        "memory_kb": run.memory_kb,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


class PhaseOut(_RunOut):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE]})

    exceeded: Exceeded | None = Field(description="The limit that ended the phase, if any.")
    stdout: str | None = Field(description="Captured stdout in `encoding`; null in stream result frames.")
    stderr: str | None = Field(description="Captured stderr in `encoding`; null in stream result frames.")
    # Compiler messages (services/gateway/executions/diagnostics.py): parsed when the response is built.
    diagnostics: list[DiagnosticOut] = Field(
        default_factory=list,
        description="The compile phase's messages that name a place in a submitted file (gcc, clang, javac, rustc, "
        "go, tsc, and the other compilers' formats), in the compiler's order, duplicates dropped, at most 200; "
        "also in stream result frames. Empty for the run phase and for a compile that said nothing.",
    )

    @classmethod
    def build(cls, phase: PhaseRecord, encoding: OutputEncoding, with_output: bool = True) -> PhaseOut:
        return cls(**_run_fields(phase, encoding, with_output), diagnostics=of_phase(phase))


class _CaseKey(BaseModel):
    index: int = Field(description="Position of the case in the request's `test_cases` (0-based).")
    name: str | None


# _CaseKey last: pydantic orders fields from the last base, so index and name stay first.
class JudgeCaseOut(_RunOut, _CaseKey):
    """One test case's result: the judged verdict and its run's measurements."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_RUN_EXAMPLE,
                    "index": 0,
                    "name": "sample",
                    "verdict": "wrong_answer",
                    "message": "Wrong answer: line 1 differs from the expected output",
                    "stdout": "6\n",
                }
            ]
        }
    )

    verdict: Verdict = Field(description="`accepted`, `wrong_answer`, or the run's verdict when it failed.")
    exceeded: Exceeded | None = Field(description="The limit that ended the run, if any.")
    stdout: str | None = Field(description="Captured stdout in `encoding` (capped); null in stream result frames.")
    stderr: str | None = Field(description="Captured stderr in `encoding` (capped); null in stream result frames.")

    @classmethod
    def build(cls, test: CaseRecord, encoding: OutputEncoding, with_output: bool = True) -> JudgeCaseOut:
        return cls(index=test.index, name=test.name, **_run_fields(test, encoding, with_output))


class JudgeOut(BaseModel):
    """Summary of a judged execution."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"verdict": "wrong_answer", "passed": 2, "total": 3, "compare": "exact"}]}
    )

    verdict: Verdict | None = Field(
        description="`accepted` when every case passed, else the first failing case's verdict (or the "
        "execution's, e.g. `compilation_error`); null until the execution finishes."
    )
    passed: int = Field(description="Cases accepted so far.")
    total: int = Field(description="Cases in the request.")
    compare: CompareMode

    @classmethod
    def build(cls, record: ExecutionRecord) -> JudgeOut | None:
        if not record.test_count:
            return None
        return cls(
            verdict=record.verdict if record.status is ExecutionStatus.finished else None,
            passed=sum(test.verdict is Verdict.accepted for test in record.tests),
            total=record.test_count,
            compare=record.compare or CompareMode.exact,
        )


class ExecutionLinks(BaseModel):
    self: str = Field(description="This execution's URL (absolute, where the request reached the API).")
    stream: str = Field(
        description="The WebSocket URL (`ws://` or `wss://`) streaming this execution's output; browsers add "
        "`?ticket=` from POST /v1/stream-tickets."
    )

    @classmethod
    def of(cls, execution_id: uuid.UUID) -> ExecutionLinks:
        path = f"/v1/executions/{execution_id}"
        return cls(self=public_links.http_url(path), stream=public_links.ws_url(path + "/stream"))


# --- output files (issue 17) ---
class OutputFileOut(BaseModel):
    """A file the run phase left at one of the requested `output_files` paths."""

    name: str = Field(description="Its path relative to the working directory.", examples=["out/result.bin"])
    size: int = Field(description="Its size in bytes.")
    content: str | None = Field(
        description="Its bytes in base64 (always: files may hold any bytes); null in stream result frames and "
        "history pages. GET /v1/executions/{id}/files/{name} answers the raw bytes."
    )

    @classmethod
    def build(cls, file: OutputFile, with_output: bool = True) -> OutputFileOut:
        content = base64.b64encode(file.content).decode() if with_output else None
        return cls(name=file.name, size=file.size, content=content)


class ExecutionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXECUTION_EXAMPLE]})

    id: uuid.UUID
    language: str
    version: str | None
    status: ExecutionStatus
    verdict: Verdict | None
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    limits: Limits
    compile_limits: Limits | None
    compile: PhaseOut | None
    run: PhaseOut | None = Field(description="The run phase; null for judged executions (see `tests`).")
    tests: list[JudgeCaseOut] = Field(description="Judging: each test case's result, in order; empty when not judged.")
    judge: JudgeOut | None = Field(description="Judging summary; null when the execution has no cases.")
    links: ExecutionLinks
    webhook: WebhookDelivery | None = Field(
        default=None, description="The webhook's delivery state, when the execution named a `callback_url`."
    )
    api: Literal["judge0", "piston"] | None = Field(
        default=None,
        description="The API the execution was submitted through, when not this one: `judge0` (`/judge0`) or "
        "`piston` (`/api/v2`); see docs/compat.md.",
    )
    files: list[OutputFileOut] = Field(
        default_factory=list,
        description="Output files: what the run phase left at the requested `output_files` paths after a clean "
        "exit, by name; empty otherwise.",
    )

    @classmethod
    def build(
        cls,
        record: ExecutionRecord,
        encoding: OutputEncoding = "text",
        with_output: bool = True,
        file_contents: bool = True,
    ) -> ExecutionOut:
        """``file_contents``: output files' content (up to the cap each execution) besides their names."""
        by_phase = {phase.phase: PhaseOut.build(phase, encoding, with_output) for phase in record.phases}
        return cls(
            id=record.id,
            language=record.language,
            version=record.version,
            status=record.status,
            verdict=record.verdict,
            message=record.message,
            created_at=record.created_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            limits=record.limits,
            compile_limits=record.compile_limits,
            compile=by_phase.get(Phase.compile),
            run=by_phase.get(Phase.run),
            tests=[JudgeCaseOut.build(test, encoding, with_output) for test in record.tests],
            judge=JudgeOut.build(record),
            links=ExecutionLinks.of(record.id),
            webhook=record.webhook,
            api=record.api if record.api in ("judge0", "piston") else None,
            files=[OutputFileOut.build(file, with_output and file_contents) for file in record.files],
        )


class SubmittedFileOut(BaseModel):
    name: str
    content: str
    encoding: FileEncoding = Field(default="text", description="`text`, or `base64` for a binary input file.")


class SubmissionOut(BaseModel):
    """What was submitted: the code and its input, for showing an execution from history."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a3c2-5f00-7b61-9c1e-2b1f0c8e4d21",
                    "language": "python",
                    "version": "3.11.2",
                    "files": [{"name": "main.py", "content": "print(input())"}],
                    "stdin": "hello",
                    "args": [],
                    "compile_options": [],
                    "interactive": False,
                    "snippet_id": None,
                }
            ]
        }
    )

    id: uuid.UUID
    language: str
    version: str | None
    files: list[SubmittedFileOut] = Field(description="Source files, the entry point first.")
    stdin: str = Field(description="Standard input (UTF-8; empty for interactive runs).")
    args: list[str]
    compile_options: list[str]
    interactive: bool
    snippet_id: uuid.UUID | None = Field(description="The snippet this execution ran, if any.")


def encode_output(data: bytes, encoding: OutputEncoding) -> str:
    if encoding == "base64":
        return base64.b64encode(data).decode()
    return data.decode("utf-8", errors="replace")
