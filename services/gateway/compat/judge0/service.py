"""Judge0 submissions as CodeRunHub executions, and back.

A submission becomes an ExecutionCreate built and validated by the one execution path
(executions/service.py): limits convert from Judge0's units (seconds, kilobytes), option strings
split as a shell would (shlex, never run through one), ``expected_output`` becomes one judged case
compared the way Judge0 compares (trailing whitespace of each line and trailing blank lines are
ignored: our ``whitespace`` mode), ``additional_files`` (a base64 zip) are extracted beside the
source. Problems come back keyed by Judge0's attribute names, with Rails' message style.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import shlex
import uuid
import zipfile
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from services.gateway.compat.common import field_name
from services.gateway.compat.judge0.schemas import SubmissionIn
from services.gateway.executions import service as executions
from services.gateway.executions.schemas import ExecutionCreate, FileIn, JudgeCaseIn, LimitsIn
from services.gateway.webhooks import service as webhooks
from shared.compat.judge0.attributes import DEFAULT_CPU_EXTRA_TIME_S, DEFAULT_STACK_LIMIT_KB
from shared.compat.judge0.languages import Judge0Language, find
from shared.db.models import Execution
from shared.executions import CompareMode
from shared.problems import ProblemError, ValidationProblem
from shared.settings import GatewaySettings, LimitsPolicy

# Judge0's own bounds on options we accept only at their defaults (we enforce one run, no
# per-process limits and never a network), and its length limit on option strings.
MAX_OPTION_CHARS = 512
MAX_STACK_LIMIT_KB = 128_000
MAX_CPU_EXTRA_TIME_S = 5.0
# A zip may hold at most this much once extracted (Judge0's MAX_EXTRACT_SIZE, 10 MiB); the source
# size limit then applies to what it held.
MAX_EXTRACT_BYTES = 10_240 * 1024

Errors = dict[str, list[str]]

# Our request's fields (executions/schemas.py) as Judge0 names them, for problems found later.
_OUR_FIELDS = {
    "language": "language_id",
    "version": "language_id",
    "source": "source_code",
    "files": "source_code",
    "entry": "source_code",
    "stdin": "stdin",
    "args": "command_line_arguments",
    "compile_options": "compiler_options",
    "test_cases": "expected_output",
    "callback_url": "callback_url",
    "limits.wall_time_ms": "wall_time_limit",
    "limits.cpu_time_ms": "cpu_time_limit",
    "limits.memory_mb": "memory_limit",
    "limits.processes": "max_processes_and_or_threads",
    "limits.file_size_kb": "max_file_size",
}


class Judge0Invalid(Exception):
    """The submission is refused: Judge0 answers 422 with ``{attribute: [messages]}``."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(str(errors))
        self.errors = errors


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def parse(raw: object) -> SubmissionIn:
    if not isinstance(raw, dict):
        raise Judge0Invalid({"source_code": ["can't be blank"], "language_id": ["can't be blank"]})
    try:
        return SubmissionIn.model_validate(raw)
    except ValidationError as exc:
        errors: Errors = {}
        for err in exc.errors():
            kind = err["type"]
            message = "is not a number" if kind.startswith(("float", "int")) else "is invalid"
            _add(errors, str(err["loc"][0]) if err["loc"] else "submission", message)
        raise Judge0Invalid(errors) from exc


def decode_base64(value: str) -> bytes | None:
    """Ruby's Base64.decode64 is lenient (line breaks, missing padding); this is too, within reason."""
    cleaned = "".join(value.split())
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _text(errors: Errors, field: str, value: str | None, encoded: bool) -> bytes | None:
    if value is None:
        return None
    if not encoded:
        return value.encode("utf-8", errors="surrogatepass")
    decoded = decode_base64(value)
    if decoded is None:
        _add(errors, field, "is not valid Base64")
    return decoded


def _utf8(errors: Errors, field: str, data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        _add(errors, field, "must be UTF-8 text (binary sources are not supported)")
        return None


def _range(errors: Errors, field: str, value: float | None, low: float, high: float, unit: float = 1) -> None:
    if value is None:
        return
    if value < low / unit:
        _add(errors, field, f"must be greater than or equal to {_number(low / unit)}")
    elif value > high / unit:
        _add(errors, field, f"must be less than or equal to {_number(high / unit)}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_options(errors: Errors, payload: SubmissionIn, policy: LimitsPolicy) -> None:
    # Judge0's attribute, what was asked, and our policy's bounds in Judge0's unit.
    bounded = (
        ("cpu_time_limit", payload.cpu_time_limit, policy.cpu_time_ms, 1000),
        ("wall_time_limit", payload.wall_time_limit, policy.wall_time_ms, 1000),
        ("memory_limit", payload.memory_limit, policy.memory_mb, 1 / 1024),
        ("max_processes_and_or_threads", payload.max_processes_and_or_threads, policy.processes, 1),
        ("max_file_size", payload.max_file_size, policy.file_size_kb, 1),
    )
    for field, value, bounds, unit in bounded:
        _range(errors, field, value, bounds.minimum, bounds.maximum, unit)
    _range(errors, "cpu_extra_time", payload.cpu_extra_time, 0, MAX_CPU_EXTRA_TIME_S)
    _range(errors, "stack_limit", payload.stack_limit, 0, MAX_STACK_LIMIT_KB)
    if payload.number_of_runs is not None:
        _range(errors, "number_of_runs", payload.number_of_runs, 1, 1)
    for flag in ("enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit"):
        if getattr(payload, flag):
            _add(errors, flag, "this option cannot be enabled")
    if payload.enable_network:
        _add(errors, "enable_network", "enabling network is not allowed")
    for field in ("compiler_options", "command_line_arguments"):
        value = getattr(payload, field)
        if value is not None and len(value) > MAX_OPTION_CHARS:
            _add(errors, field, f"is too long (maximum is {MAX_OPTION_CHARS} characters)")


def _split(errors: Errors, field: str, value: str | None) -> list[str]:
    if not value or not value.strip():
        return []
    try:
        return shlex.split(value)
    except ValueError as exc:
        _add(errors, field, f"cannot be split into arguments: {exc}")
        return []


def _unzip(errors: Errors, value: str | None, max_files: int) -> list[FileIn]:
    """The regular files of a base64 zip (directories skipped, links refused): UTF-8 text as text,
    anything else (binary data, NUL characters) as a base64 file."""
    if not value:
        return []
    data = decode_base64(value)
    if data is None:
        _add(errors, "additional_files", "is not valid Base64")
        return []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        _add(errors, "additional_files", "must be a Base64 encoded .zip archive")
        return []
    # Counted and sized from the directory before anything is inflated (reads stop at the
    # declared sizes, so a member cannot inflate past them).
    if len(infos) > max_files:
        _add(errors, "additional_files", f"holds {len(infos)} entries; at most {max_files} files are allowed")
        return []
    if sum(info.file_size for info in infos) > MAX_EXTRACT_BYTES:
        _add(errors, "additional_files", f"extracts to more than {MAX_EXTRACT_BYTES} bytes")
        return []
    files: list[FileIn] = []
    for info in infos:
        if info.is_dir():
            continue
        # The upper bits of external_attr are the Unix mode: only regular files are taken.
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0, 0o100000):
            _add(errors, "additional_files", f"{info.filename}: only regular files are accepted")
            continue
        try:
            with archive.open(info) as member:
                content = member.read(MAX_EXTRACT_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            _add(errors, "additional_files", f"{info.filename}: cannot be extracted")
            continue
        files.append(_zipped_file(info.filename, content))
    return files


def _zipped_file(name: str, content: bytes) -> FileIn:
    try:
        text = content.decode()
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        return FileIn(name=name, content=base64.b64encode(content).decode(), encoding="base64")
    return FileIn(name=name, content=text)


def api_options(payload: SubmissionIn, judge0: Judge0Language) -> dict[str, Any]:
    """What the execution row keeps of the request beyond its own columns (shown back by GET)."""
    return {
        "api": "judge0",
        "language_id": judge0.id,
        "redirect_stderr_to_stdout": bool(payload.redirect_stderr_to_stdout),
        "cpu_extra_time": payload.cpu_extra_time if payload.cpu_extra_time is not None else DEFAULT_CPU_EXTRA_TIME_S,
        "stack_limit": payload.stack_limit if payload.stack_limit is not None else DEFAULT_STACK_LIMIT_KB,
        "compiler_options": payload.compiler_options,
        "command_line_arguments": payload.command_line_arguments,
    }


def build(
    payload: SubmissionIn,
    *,
    encoded: bool,
    settings: GatewaySettings,
    versions: Mapping[str, str],
    user_id: uuid.UUID | None,
) -> Execution:
    """The unsaved execution for a submission, or Judge0Invalid."""
    errors: Errors = {}
    judge0 = None
    if payload.language_id is None:
        _add(errors, "language_id", "can't be blank")
    elif (judge0 := find(payload.language_id)) is None:
        _add(errors, "language_id", f"language with id {payload.language_id} doesn't exist")
    source = _utf8(errors, "source_code", _text(errors, "source_code", payload.source_code, encoded))
    if not source:
        _add(errors, "source_code", "can't be blank")
    stdin = _text(errors, "stdin", payload.stdin, encoded) or b""
    expected = _utf8(errors, "expected_output", _text(errors, "expected_output", payload.expected_output, encoded))
    policy, _ = executions.caller_policies(settings, user_id)
    _check_options(errors, payload, policy)
    compile_options = _split(errors, "compiler_options", payload.compiler_options)
    args = _split(errors, "command_line_arguments", payload.command_line_arguments)
    extra = _unzip(errors, payload.additional_files, settings.max_files)
    if judge0 is not None and compile_options and not judge0.language.compiled:
        _add(errors, "compiler_options", "setting compiler options is only allowed for compiled languages")
    if errors or judge0 is None or source is None:
        raise Judge0Invalid(errors)

    language = judge0.language
    entry = language.file_name_for(source)
    if any(file.name == entry for file in extra):
        raise Judge0Invalid({"additional_files": [f"{entry} is the source file's name: it cannot be replaced"]})
    request = ExecutionCreate(
        language=language.id,
        version=language.variant,
        files=[FileIn(name=entry, content=source), *extra],
        entry=entry,
        args=args,
        compile_options=compile_options,
        limits=LimitsIn(
            cpu_time_ms=round(payload.cpu_time_limit * 1000) if payload.cpu_time_limit is not None else None,
            wall_time_ms=round(payload.wall_time_limit * 1000) if payload.wall_time_limit is not None else None,
            memory_mb=math.ceil(payload.memory_limit / 1024) if payload.memory_limit is not None else None,
            processes=payload.max_processes_and_or_threads,
            file_size_kb=payload.max_file_size,
        ),
        test_cases=[JudgeCaseIn(expected_stdout=expected)] if expected is not None else None,
        compare=CompareMode.whitespace,
        callback_url=payload.callback_url or None,
    )
    try:
        execution = executions.build_execution(request, settings, versions, user_id=user_id)
    except ValidationProblem as problem:
        raise Judge0Invalid(_judge0_errors(problem)) from problem
    except ProblemError as problem:
        if problem.status == 413:
            raise Judge0Invalid({"source_code": [problem.detail or problem.title]}) from problem
        raise
    if len(stdin) > settings.max_stdin_bytes:
        raise Judge0Invalid({"stdin": [f"is too long (maximum is {settings.max_stdin_bytes} bytes)"]})
    # Judge0's stdin is bytes (base64 may carry any); with a judged case, the case carries it.
    if execution.test_cases:
        case_stdin = _case_stdin(stdin)
        if case_stdin is None:
            raise Judge0Invalid({"stdin": ["must be UTF-8 text without NUL characters when expected_output is given"]})
        execution.test_cases = [{**execution.test_cases[0], "stdin": case_stdin}]
    else:
        execution.stdin = stdin
    execution.api_options = api_options(payload, judge0)
    return execution


async def prepare(
    payload: SubmissionIn,
    *,
    encoded: bool,
    settings: GatewaySettings,
    versions: Mapping[str, str],
    user_id: uuid.UUID | None,
) -> Execution:
    """build(), then the callback URL's host resolved and vetted, as every execution's is."""
    execution = build(payload, encoded=encoded, settings=settings, versions=versions, user_id=user_id)
    try:
        await webhooks.vet_callback(execution.webhook_url, settings)
    except ValidationProblem as problem:
        raise Judge0Invalid(_judge0_errors(problem)) from problem
    return execution


def _case_stdin(stdin: bytes) -> str | None:
    """A judged case's stdin is stored as JSON text: UTF-8 without NUL, or None."""
    try:
        text = stdin.decode()
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _judge0_errors(problem: ValidationProblem) -> Errors:
    errors: Errors = {}
    for error in problem.errors or ():
        name = field_name(error)
        key = _OUR_FIELDS.get(name) or _OUR_FIELDS.get(name.split(".", 1)[0]) or name
        _add(errors, key, error.msg)
    return errors
