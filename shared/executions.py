"""Execution vocabulary shared by the gateway and the executor."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ExecutionStatus(StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"


class Phase(StrEnum):
    compile = "compile"
    run = "run"


class Verdict(StrEnum):
    ok = "ok"
    compilation_error = "compilation_error"
    runtime_error = "runtime_error"
    time_limit = "time_limit"
    memory_limit = "memory_limit"
    output_limit = "output_limit"
    internal_error = "internal_error"


class Exceeded(StrEnum):
    """Which limit ended a phase, when one did."""

    cpu_time = "cpu_time"
    wall_time = "wall_time"
    memory = "memory"
    output = "output"


class Limits(BaseModel):
    """Effective limits of one phase, as stored on the execution and applied by the executor."""

    model_config = ConfigDict(frozen=True)

    wall_time_ms: int
    cpu_time_ms: int
    memory_mb: int
    processes: int
    output_bytes: int
    file_size_kb: int


class SourceFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    content: str
