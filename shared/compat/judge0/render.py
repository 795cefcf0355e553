"""An execution as a Judge0 submission: its attributes, units, status and encodings."""

from __future__ import annotations

import base64
import io
import signal as signals
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.compat.judge0.attributes import DEFAULT_CPU_EXTRA_TIME_S, DEFAULT_STACK_LIMIT_KB, STATUSES
from shared.compat.judge0.languages import JUDGE0_IDS, TABLE, display_name
from shared.db.models import Execution
from shared.executions import (
    Exceeded,
    ExecutionRecord,
    ExecutionStatus,
    Phase,
    RunRecord,
    Verdict,
    interleaved,
)
from shared.languages import variant_of

# Judge0's runtime errors by signal (Status.find_runtime_error_by_status_code).
_SIGNAL_STATUS: dict[int, int] = {
    int(signals.SIGSEGV): 7,
    int(signals.SIGXFSZ): 8,
    int(signals.SIGFPE): 9,
    int(signals.SIGABRT): 10,
}
_VERDICT_STATUS = {
    Verdict.ok: 3,
    Verdict.accepted: 3,
    Verdict.wrong_answer: 4,
    Verdict.time_limit: 5,
    Verdict.compilation_error: 6,
    # Judge0 has no memory or output limit statuses: isolate kills a program over its memory
    # (Runtime Error (Other)) and stops one writing past the file size limit with SIGXFSZ, which
    # is how stdout ends there.
    Verdict.memory_limit: 12,
    Verdict.output_limit: 8,
    Verdict.internal_error: 13,
    # Judge0 cannot cancel; a submission cancelled through our own API ended like a killed program.
    Verdict.cancelled: 12,
}

TEXT_FIELDS = frozenset({"source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output", "message"})


class NotUtf8(Exception):
    """An attribute holds bytes that are not UTF-8: Judge0 asks for base64_encoded=true."""


def judge0_id_of(execution: Execution) -> int | None:
    options = execution.api_options or {}
    if isinstance(options.get("language_id"), int) and options.get("api") == "judge0":
        return int(options["language_id"])
    language = variant_of(execution.language, execution.variant)
    key = language.key if language else None
    return next((jid for jid, k in JUDGE0_IDS.items() if k == key and TABLE[jid].listed), None)


def the_run(record: ExecutionRecord) -> RunRecord | None:
    """What Judge0 calls the program's run: the judged case, or the run phase."""
    if record.tests:
        return record.tests[0]
    return next((phase for phase in record.phases if phase.phase is Phase.run), None)


def status_of(record: ExecutionRecord) -> int:
    if record.status is ExecutionStatus.queued:
        return 1
    if record.status is ExecutionStatus.running or record.verdict is None:
        return 2
    if record.verdict is Verdict.runtime_error:
        run = the_run(record)
        if run is not None and run.signal:
            return _SIGNAL_STATUS.get(run.signal, 12)
        return 11 if run is not None and run.exit_code else 12
    return _VERDICT_STATUS.get(record.verdict, 13)


def _message(record: ExecutionRecord, run: RunRecord | None) -> str | None:
    """isolate's words where Judge0 shows them, ours otherwise."""
    if record.status is not ExecutionStatus.finished or run is None:
        return None
    verdict = run.verdict
    if verdict in (Verdict.ok, Verdict.accepted, Verdict.wrong_answer):
        return None
    if verdict is Verdict.time_limit:
        return "Time limit exceeded (wall clock)" if run.exceeded is Exceeded.wall_time else "Time limit exceeded"
    if verdict is Verdict.runtime_error and run.signal:
        return f"Caught fatal signal {run.signal}"
    if verdict is Verdict.runtime_error and run.exit_code:
        return f"Exited with error status {run.exit_code}"
    return run.message


def _decimal(value: float | None) -> str | None:
    # Judge0's decimals are serialized as strings by Rails.
    return None if value is None else str(float(value))


def _seconds(us: int | None) -> str | None:
    return None if us is None else f"{us / 1e6:.3f}"


def _datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _zip(files: Sequence[Mapping[str, Any]]) -> bytes | None:
    if not files:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            content = str(file["content"])
            # Binary files (kept as base64) go back into the archive as the bytes they were.
            data = base64.b64decode(content) if file.get("encoding") == "base64" else content.encode()
            archive.writestr(str(file["name"]), data)
    return buffer.getvalue()


def _or_none(data: bytes | None) -> bytes | None:
    return data if data else None


class SubmissionView:
    """One execution's attributes, computed only when selected."""

    def __init__(self, execution: Execution, record: ExecutionRecord, versions: Mapping[str, str]) -> None:
        self.execution = execution
        self.record = record
        self.versions = versions
        self.options: dict[str, Any] = execution.api_options or {}
        self.run = the_run(record)
        self.compile = next((phase for phase in record.phases if phase.phase is Phase.compile), None)
        self.compile_failed = record.verdict is Verdict.compilation_error
        self.status = status_of(record)

    def _case(self) -> Mapping[str, Any] | None:
        cases = self.execution.test_cases
        return cases[0] if cases else None

    def _stdin(self) -> bytes | None:
        case = self._case()
        data = str(case.get("stdin", "")).encode() if case else bytes(self.execution.stdin)
        return data or None

    def _stdout(self) -> bytes | None:
        if self.run is None or self.compile_failed:
            return None
        if self.options.get("redirect_stderr_to_stdout"):
            return _or_none(interleaved(self.run))
        return _or_none(self.run.stdout)

    def _stderr(self) -> bytes | None:
        if self.run is None or self.compile_failed or self.options.get("redirect_stderr_to_stdout"):
            return None
        return _or_none(self.run.stderr)

    def _compile_output(self) -> bytes | None:
        if self.compile is None:
            return None
        output = interleaved(self.compile)
        if not output and self.compile.verdict is Verdict.time_limit:
            return b"Compilation time limit exceeded."
        return _or_none(output)

    def _ran(self, value: Any) -> Any:
        """Run measurements: none while queued or running, nor after a compilation error."""
        if self.run is None or self.compile_failed or self.record.status is not ExecutionStatus.finished:
            return None
        return value

    def _language(self) -> dict[str, Any] | None:
        judge0_id = judge0_id_of(self.execution)
        entry = TABLE.get(judge0_id) if judge0_id is not None else None
        if entry is None:
            return None
        return {"id": judge0_id, "name": display_name(entry.language, self.versions)}

    def attributes(self) -> dict[str, Callable[[], Any]]:
        execution, limits = self.execution, self.record.limits
        case = self._case()
        run = self.run
        return {
            "source_code": lambda: str(execution.files[0]["content"]).encode(),
            "language_id": lambda: judge0_id_of(execution),
            "compiler_options": lambda: (
                self.options.get("compiler_options") or (" ".join(execution.compile_options) or None)
            ),
            "command_line_arguments": lambda: (
                self.options.get("command_line_arguments") or (" ".join(execution.args) or None)
            ),
            "stdin": self._stdin,
            "expected_output": lambda: str(case["expected_stdout"]).encode() if case else None,
            "cpu_time_limit": lambda: _decimal(limits.cpu_time_ms / 1000),
            "cpu_extra_time": lambda: _decimal(self.options.get("cpu_extra_time", DEFAULT_CPU_EXTRA_TIME_S)),
            "wall_time_limit": lambda: _decimal(limits.wall_time_ms / 1000),
            "memory_limit": lambda: limits.memory_mb * 1024,
            "stack_limit": lambda: self.options.get("stack_limit", DEFAULT_STACK_LIMIT_KB),
            "max_processes_and_or_threads": lambda: limits.processes,
            "enable_per_process_and_thread_time_limit": lambda: False,
            "enable_per_process_and_thread_memory_limit": lambda: False,
            "max_file_size": lambda: limits.file_size_kb,
            "redirect_stderr_to_stdout": lambda: bool(self.options.get("redirect_stderr_to_stdout")),
            "enable_network": lambda: False,
            "number_of_runs": lambda: 1,
            "additional_files": lambda: _zip(execution.files[1:]),
            "callback_url": lambda: execution.webhook_url,
            "stdout": self._stdout,
            "stderr": self._stderr,
            "compile_output": self._compile_output,
            "message": lambda: (
                m.encode() if (m := _message(self.record, None if self.compile_failed else run)) else None
            ),
            "exit_code": lambda: self._ran(run.exit_code if run and run.exit_code is not None else 0),
            "exit_signal": lambda: self._ran(run.signal if run else None),
            "status": lambda: {"id": self.status, "description": STATUSES[self.status]},
            "created_at": lambda: _datetime(self.record.created_at),
            "finished_at": lambda: _datetime(self.record.finished_at),
            "token": lambda: str(execution.id),
            "time": lambda: self._ran(_seconds(run.cpu_time_us) if run else None),
            "wall_time": lambda: self._ran(_seconds(run.wall_time_us) if run else None),
            "memory": lambda: self._ran(run.memory_kb if run else None),
            "language": self._language,
        }


def render(
    execution: Execution,
    record: ExecutionRecord,
    fields: Sequence[str],
    *,
    encoded: bool,
    versions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The selected attributes; text in base64 when ``encoded``, else UTF-8 (or NotUtf8)."""
    attributes = SubmissionView(execution, record, versions or {}).attributes()
    out: dict[str, Any] = {}
    for name in fields:
        value = attributes[name]()
        if name == "additional_files":
            value = base64.b64encode(value).decode() if value else None
        elif name in TEXT_FIELDS and value is not None:
            if encoded:
                value = base64.b64encode(value).decode()
            else:
                try:
                    value = value.decode()
                except UnicodeDecodeError as exc:
                    raise NotUtf8 from exc
        out[name] = value
    return out
