"""Request and response bodies of the executions API."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.executions import Exceeded, ExecutionRecord, ExecutionStatus, Limits, Phase, PhaseRecord, Verdict
from shared.signals import signal_name

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

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.source is None) == (self.files is None):
            raise ValueError("give exactly one of `source` or `files`")
        return self


class PhaseOut(BaseModel):
    verdict: Verdict
    message: str | None
    exceeded: Exceeded | None = Field(description="The limit that ended the phase, if any.")
    exit_code: int | None
    signal: int | None
    signal_name: str | None
    stdout: str | None = Field(description="Captured stdout in `encoding`; null in stream result frames.")
    stderr: str | None = Field(description="Captured stderr in `encoding`; null in stream result frames.")
    encoding: OutputEncoding
    stdout_truncated: bool
    stderr_truncated: bool
    cpu_time_ms: float | None
    wall_time_ms: float | None
    memory_kb: int | None = Field(description="Peak resident memory of the largest process, in KiB.")
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def build(cls, phase: PhaseRecord, encoding: OutputEncoding, with_output: bool = True) -> PhaseOut:
        return cls(
            verdict=phase.verdict,
            message=phase.message,
            exceeded=phase.exceeded,
            exit_code=phase.exit_code,
            signal=phase.signal,
            signal_name=signal_name(phase.signal) if phase.signal else None,
            stdout=encode_output(phase.stdout, encoding) if with_output else None,
            stderr=encode_output(phase.stderr, encoding) if with_output else None,
            encoding=encoding,
            stdout_truncated=phase.stdout_truncated,
            stderr_truncated=phase.stderr_truncated,
            cpu_time_ms=phase.cpu_time_us / 1000 if phase.cpu_time_us is not None else None,
            wall_time_ms=phase.wall_time_us / 1000 if phase.wall_time_us is not None else None,
            memory_kb=phase.memory_kb,
            started_at=phase.started_at,
            finished_at=phase.finished_at,
        )


class ExecutionLinks(BaseModel):
    self: str
    stream: str = Field(description="WebSocket URL path streaming this execution's output.")


class ExecutionOut(BaseModel):
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
    run: PhaseOut | None
    links: ExecutionLinks

    @classmethod
    def build(
        cls, record: ExecutionRecord, encoding: OutputEncoding = "text", with_output: bool = True
    ) -> ExecutionOut:
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
            links=ExecutionLinks(self=f"/v1/executions/{record.id}", stream=f"/v1/executions/{record.id}/stream"),
        )


def encode_output(data: bytes, encoding: OutputEncoding) -> str:
    if encoding == "base64":
        return base64.b64encode(data).decode()
    return data.decode("utf-8", errors="replace")
