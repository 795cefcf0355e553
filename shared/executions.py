"""Execution vocabulary shared by the gateway and the executor."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.webhooks import WebhookDelivery


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
    # Judging (executions with test cases): every case's output matched, or one did not.
    accepted = "accepted"
    wrong_answer = "wrong_answer"
    # Stopped on request (POST /v1/executions/{id}/cancel, or an interactive session's kill).
    cancelled = "cancelled"


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


# How a submitted file's content is given: UTF-8 text, or base64 of arbitrary bytes.
FileEncoding = Literal["text", "base64"]


class SourceFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    content: str
    # Rows stored before binary input files existed have no encoding: they are text.
    encoding: FileEncoding = "text"

    def data(self) -> bytes:
        """The file's bytes (the gateway checked the base64 before storing it)."""
        return base64.b64decode(self.content) if self.encoding == "base64" else self.content.encode()


class OutputFile(BaseModel):
    """A file the run phase left behind that the execution asked for (``output_files``)."""

    # Contents travel as base64 in JSON: they may hold any bytes.
    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    name: str
    size: int
    mode: int = 0o644
    content: bytes


class RunRecord(BaseModel):
    """What one run of a program left: its verdict, output and measurements (a phase or a case)."""

    # Outputs travel as base64 in JSON: they may hold any bytes.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    verdict: Verdict
    message: str | None
    exceeded: Exceeded | None
    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    cpu_time_us: int | None
    wall_time_us: int | None
    memory_kb: int | None
    started_at: datetime | None
    finished_at: datetime | None
    # The order the program wrote its kept output in, as the sandbox read it: runs of bytes, a
    # positive n the next n bytes of stdout, a negative n the next n of stderr (see interleaved()).
    # None: not recorded (only one stream had output, or the record predates it).
    output_order: list[int] | None = None


def interleaved(run: RunRecord) -> bytes:
    """stdout and stderr merged in the order they were written (as a terminal would show them):
    Piston's ``output``, Judge0's ``redirect_stderr_to_stdout``. Without a recorded order, stdout
    then stderr; bytes the order does not cover (past ORDER_MAX_RUNS) follow, stdout first."""
    if not run.output_order:
        return run.stdout + run.stderr
    parts: list[bytes] = []
    out = err = 0
    for n in run.output_order:
        if n > 0:
            parts.append(run.stdout[out : out + n])
            out += n
        else:
            parts.append(run.stderr[err : err - n])
            err -= n
    parts.append(run.stdout[out:])
    parts.append(run.stderr[err:])
    return b"".join(parts)


# How many runs an output order keeps (one JSON array per phase or case): alternating single
# bytes would otherwise cost more to store than the output itself.
ORDER_MAX_RUNS = 10_000


def add_to_order(order: list[int], n: int) -> None:
    """Note n more bytes of stdout (n > 0) or -n of stderr, merged into the last run when it is the
    same stream's. Nothing once the order holds ORDER_MAX_RUNS runs: it must stay a prefix of what
    arrived, which a merge past a dropped run would break."""
    if n == 0 or len(order) >= ORDER_MAX_RUNS:
        return
    if order and (order[-1] > 0) == (n > 0):
        order[-1] += n
    else:
        order.append(n)


def clip_order(order: list[int] | None, stdout_len: int, stderr_len: int) -> list[int] | None:
    """The order of the first stdout_len bytes of stdout and stderr_len of stderr (for output cut
    after it was recorded); None when it no longer orders both streams."""
    if order is None:
        return None
    clipped: list[int] = []
    out_room, err_room = stdout_len, stderr_len
    for n in order:
        if n > 0:
            kept = min(n, out_room)
            out_room -= kept
            add_to_order(clipped, kept)
        else:
            kept = min(-n, err_room)
            err_room -= kept
            add_to_order(clipped, -kept)
    return clipped if len(clipped) > 1 else None


class PhaseRecord(RunRecord):
    """A phase's stored result, as the executor writes it and the gateway reads it."""

    phase: Phase


class CompareMode(StrEnum):
    """How a test case's stdout is compared with its expected output.

    exact: byte for byte. whitespace: line by line, ignoring trailing whitespace (spaces, tabs,
    carriage returns) at the end of each line and blank lines at the end of the output.
    """

    exact = "exact"
    whitespace = "whitespace"


class JudgeCase(BaseModel):
    """One judged run: its stdin and the stdout it must produce."""

    model_config = ConfigDict(frozen=True)

    stdin: str = ""
    expected_stdout: str
    name: str | None = None


class CaseRecord(RunRecord):
    """One test case's stored result: the run's measurements and the judged verdict."""

    # Position in the execution's test_cases (0-based).
    index: int
    name: str | None


class ExecutionRecord(BaseModel):
    """An execution's stored state. The executor puts the finished record in the final event when it
    is small, so readers need not go back to the database."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    id: uuid.UUID
    user_id: uuid.UUID | None = None
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
    phases: list[PhaseRecord]
    # Judging: how many test cases the execution has (0: not judged), how they are compared, and
    # the results of the cases that ran.
    test_count: int = 0
    compare: CompareMode | None = None
    tests: list[CaseRecord] = Field(default_factory=list)
    # The execution's webhook (callback URL and delivery state), if it named one.
    webhook: WebhookDelivery | None = None
    # The API it was submitted through when not the native one ("judge0", "piston").
    api: str | None = None
    # The run phase's output files the execution asked for (those that existed), by name.
    files: list[OutputFile] = Field(default_factory=list)


class ExecutionJob(BaseModel):
    """Everything an executor needs to run an execution. The gateway puts it in the arq job, so a
    first try starts the program without reading the database; retries read it from the row."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    id: uuid.UUID
    language: str
    # The language version (catalogue variant) to run; None: the language's default.
    variant: str | None = None
    version: str | None
    files: list[SourceFile]
    stdin: bytes
    args: list[str]
    compile_options: list[str]
    limits: Limits
    compile_limits: Limits | None
    interactive: bool
    created_at: datetime
    user_id: uuid.UUID | None = None
    # Judging: each case runs the (once compiled) program with its own stdin.
    test_cases: list[JudgeCase] = Field(default_factory=list)
    compare: CompareMode = CompareMode.exact
    # The API it was submitted through when not the native one (ExecutionRecord.api).
    api: str | None = None
    # Paths (files or directories, relative to the working directory) the run phase sends back
    # after a clean exit.
    output_files: list[str] = Field(default_factory=list)
