"""Piston v2 jobs as executions, and executions as Piston results (docs/compat.md).

A job is read as Piston's api/v2.js ``get_job`` reads it, with its messages and in its order; the
execution is then built and checked like a native one (executions/service.py), whose field errors
come back as Piston's ``400 {"message": ...}``. Results use isolate's vocabulary, as Piston's
job.js reports it: statuses RE, SG, TO, OL, EL, XX, isolate's messages, signal names, and
milliseconds and bytes."""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.gateway.compat.piston.runtimes import PistonRuntime, resolve
from services.gateway.executions.schemas import ExecutionCreate
from services.gateway.executions.service import caller_policies
from shared.executions import Exceeded, ExecutionRecord, ExecutionStatus, Phase, PhaseRecord, Verdict, interleaved
from shared.problems import FieldError, ProblemError
from shared.settings import GatewaySettings
from shared.signals import signal_name

MIB = 1 << 20
# (Piston's constraint, our limit), in the order get_job checks them; each for compile, then run.
_CONSTRAINTS = (("memory_limit", "memory_mb"), ("timeout", "wall_time_ms"), ("cpu_time", "cpu_time_ms"))
_STAGES = ("compile", "run")
_ENCODINGS = ("base64", "hex", "utf8")


def bad_request(message: str) -> ProblemError:
    return ProblemError(400, "bad-request", "Bad request", message)


def _field(error: FieldError) -> str:
    """``files[0].name`` for ["body", "files", 0, "name"], as Piston names fields."""
    loc = list(error.loc)
    if loc and loc[0] in ("body", "query", "header", "path"):
        loc = loc[1:]
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "request"


def message_of(problem: ProblemError) -> tuple[int, str]:
    """A problem as Piston answers errors: field errors are a 400 naming the fields; the rest
    (401, 403, 413, 429, 503...) keep their status."""
    if problem.errors:
        return 400, "; ".join(f"{_field(error)}: {error.msg}" for error in problem.errors)
    return problem.status, problem.detail or problem.title


def render(problem: ProblemError) -> JSONResponse:
    status, message = message_of(problem)
    return JSONResponse({"message": message}, status_code=status, headers=problem.headers)


def _js_falsy(value: object) -> bool:
    # JavaScript's falsy values: null, false, 0, NaN and "" (arrays and objects are truthy).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0 or math.isnan(value)
    return value is None or value is False or value == ""


@dataclass(frozen=True, slots=True)
class PistonJob:
    runtime: PistonRuntime
    payload: ExecutionCreate

    def api_options(self) -> dict[str, str]:
        """What the execution keeps of its origin (Execution.api_options): history shows it."""
        return {"api": "piston", "language": self.runtime.language, "version": self.runtime.version}


def configured_limits(settings: GatewaySettings, user_id: uuid.UUID | None, *, interactive: bool) -> dict[str, int]:
    """The caller's policy maxima in Piston's units (ms, bytes), by Piston's field name."""
    run, compile_ = caller_policies(settings, user_id)
    run_wall = run.wall_time_ms
    if interactive:
        run_wall = settings.interactive_wall_time_ms if user_id else settings.anonymous_interactive_wall_time_ms
    return {
        "compile_memory_limit": compile_.memory_mb.maximum * MIB,
        "run_memory_limit": run.memory_mb.maximum * MIB,
        "compile_timeout": compile_.wall_time_ms.maximum,
        "run_timeout": run_wall.maximum,
        "compile_cpu_time": compile_.cpu_time_ms.maximum,
        "run_cpu_time": run.cpu_time_ms.maximum,
    }


def _requested_limits(fields: Mapping[str, Any], configured: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """get_job's constraint checks; what passes, as our limits per stage (ms; bytes -> MiB, rounded up)."""
    limits: dict[str, dict[str, int]] = {"compile": {}, "run": {}}
    for constraint, ours in _CONSTRAINTS:
        for stage in _STAGES:
            name = f"{stage}_{constraint}"
            value = fields.get(name)
            if _js_falsy(value):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request(f"If specified, {name} must be a number")
            if constraint == "memory_limit" and value < 0:
                # -1 (piston-client sends it) is Piston's "no limit": here, the default.
                continue
            limit = configured[name]
            if value > limit:
                raise bad_request(f"{name} cannot exceed the configured limit of {limit}")
            if value < 0:
                raise bad_request(f"{name} must be non-negative")
            limits[stage][ours] = math.ceil(value / MIB) if constraint == "memory_limit" else math.ceil(value)
    return limits


def _encoding(file: Mapping[str, Any]) -> str:
    encoding = file.get("encoding")
    return encoding if isinstance(encoding, str) and encoding in _ENCODINGS else "utf8"


def _lenient_base64(text: str) -> bytes:
    # As Node's Buffer.from(text, "base64"): URL-safe letters too, anything else skipped, data
    # ending at the first "=", a dangling sixth-bit group dropped.
    letters = re.sub(r"[^A-Za-z0-9+/]", "", text.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    letters = letters[: len(letters) - (len(letters) % 4 == 1)]
    return base64.b64decode(letters + "=" * (-len(letters) % 4))


def _lenient_hex(text: str) -> bytes:
    # As Node's Buffer.from(text, "hex"): pairs of hex digits up to the first that is not one.
    pairs = re.match(r"(?:[0-9A-Fa-f]{2})*", text)
    return binascii.unhexlify(pairs.group(0) if pairs else "")


def _content(file: Mapping[str, Any]) -> tuple[str, str]:
    """The file's content and our encoding of it: text when it is UTF-8, else base64 (a binary file)."""
    encoding = _encoding(file)
    content: str = file["content"]
    if encoding == "utf8":
        return content, "text"
    data = _lenient_base64(content) if encoding == "base64" else _lenient_hex(content)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    # Text files cannot hold NUL characters; such files are binary.
    if text is None or "\x00" in text:
        return base64.b64encode(data).decode(), "base64"
    return text, "text"


def _files(files: Sequence[Mapping[str, Any]], runtime: PistonRuntime) -> tuple[list[dict[str, Any]], Any]:
    """The files named (Piston's naming would not fit our file-name rules) and the entry's name:
    Piston runs the first utf8 file (job.js ``code_files[0]``), named by the language's convention
    when it has no name; other unnamed files are ``file<i>.code`` as in Piston."""
    entry = next(index for index, file in enumerate(files) if _encoding(file) == "utf8")
    named: list[dict[str, Any]] = []
    for index, file in enumerate(files):
        content, encoding = _content(file)
        name = file.get("name")
        if _js_falsy(name):
            name = runtime.definition.file_name_for(content) if index == entry else f"file{index}.code"
        named.append({"name": name, "content": content, "encoding": encoding})
    return named, named[entry]["name"]


def read_job(
    body: object,
    runtimes: Sequence[PistonRuntime],
    settings: GatewaySettings,
    user_id: uuid.UUID | None,
    *,
    interactive: bool = False,
) -> PistonJob:
    """Piston's get_job: its checks and messages in its order, then our submission's shape."""
    fields: Mapping[str, Any] = body if isinstance(body, dict) else {}
    language, version, files = fields.get("language"), fields.get("version"), fields.get("files")
    if not isinstance(language, str) or not language:
        raise bad_request("language is required as a string")
    if not isinstance(version, str) or not version:
        raise bad_request("version is required as a string")
    if not isinstance(files, list):
        raise bad_request("files is required as an array")
    for index, file in enumerate(files):
        if not isinstance(file, dict) or not isinstance(file.get("content"), str):
            raise bad_request(f"files[{index}].content is required as a string")
    runtime = resolve(runtimes, language, version)
    if runtime is None:
        raise bad_request(f"{language}-{version} runtime is unknown")
    if not any(_js_falsy(file.get("encoding")) or file.get("encoding") == "utf8" for file in files):
        raise bad_request("files must include at least one utf8 encoded file")
    limits = _requested_limits(fields, configured_limits(settings, user_id, interactive=interactive))
    named, entry = _files(files, runtime)

    stdin = fields.get("stdin")
    if interactive:
        stdin = ""  # Piston discards an interactive job's stdin: input comes as data frames.
    elif stdin is None:
        stdin = "\n"
    elif isinstance(stdin, str) and not stdin.endswith("\n"):
        stdin += "\n"  # As job.js: a trailing newline is added when missing.
    args = fields.get("args")
    compiled = runtime.definition.compiled
    payload = {
        "language": runtime.definition.id,
        "version": runtime.definition.variant,
        "files": named,
        "entry": entry,
        "stdin": stdin,
        "args": [] if args is None else args,
        "limits": limits["run"] or None,
        "compile_limits": (limits["compile"] or None) if compiled else None,
    }
    try:
        return PistonJob(runtime, ExecutionCreate.model_validate(payload))
    except ValidationError as exc:
        errors = [FieldError(loc=list(err["loc"]), msg=err["msg"], type=err["type"]) for err in exc.errors()]
        raise ProblemError(400, "bad-request", "Bad request", errors=errors) from exc


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a stage ended, as isolate's meta file and job.js tell it."""

    code: int | None
    signal: str | None
    message: str | None
    status: str | None


KILLED = "SIGKILL"


def outcome(
    verdict: str,
    exceeded: str | None,
    exit_code: int | None,
    signal: int | None,
    message: str | None,
    stdout_truncated: bool,
    stderr_truncated: bool,
) -> Outcome:
    if verdict == Verdict.internal_error:
        return Outcome(None, None, message or "Internal error", "XX")
    if verdict == Verdict.cancelled:
        # Cancelled through our own API: Piston reports a killed program this way.
        return Outcome(None, KILLED, "Caught fatal signal 9", "SG")
    if exceeded == Exceeded.cpu_time:
        return Outcome(exit_code, KILLED, "Time limit exceeded", "TO")
    if exceeded == Exceeded.wall_time:
        return Outcome(exit_code, KILLED, "Time limit exceeded (wall clock)", "TO")
    if exceeded == Exceeded.output:
        if stderr_truncated and not stdout_truncated:
            return Outcome(exit_code, KILLED, "stderr length exceeded", "EL")
        return Outcome(exit_code, KILLED, "stdout length exceeded", "OL")
    if exceeded == Exceeded.memory:
        # The cgroup's OOM killer: isolate sees a SIGKILL.
        return Outcome(None, KILLED, "Caught fatal signal 9", "SG")
    if signal:
        return Outcome(None, signal_name(signal), f"Caught fatal signal {signal}", "SG")
    if exit_code:
        return Outcome(exit_code, None, f"Exited with error status {exit_code}", "RE")
    if verdict == Verdict.runtime_error:
        # Nothing ran (e.g. the files could not be set up): our message says why.
        return Outcome(exit_code, None, message, "RE")
    return Outcome(exit_code, None, None, None)


def phase_outcome(phase: PhaseRecord) -> Outcome:
    return outcome(
        phase.verdict.value,
        phase.exceeded.value if phase.exceeded else None,
        phase.exit_code,
        phase.signal,
        phase.message,
        phase.stdout_truncated,
        phase.stderr_truncated,
    )


def result_outcome(phase: Mapping[str, Any]) -> Outcome:
    """The same from a result frame's phase (ExecutionOut's JSON)."""
    return outcome(
        phase["verdict"],
        phase.get("exceeded"),
        phase.get("exit_code"),
        phase.get("signal"),
        phase.get("message"),
        bool(phase.get("stdout_truncated")),
        bool(phase.get("stderr_truncated")),
    )


def _ms(us: int | None) -> float | None:
    return None if us is None else round(us / 1000, 3)


def stage(phase: PhaseRecord) -> dict[str, Any]:
    ended = phase_outcome(phase)
    return {
        "stdout": phase.stdout.decode("utf-8", errors="replace"),
        "stderr": phase.stderr.decode("utf-8", errors="replace"),
        "output": interleaved(phase).decode("utf-8", errors="replace"),
        "code": ended.code,
        "signal": ended.signal,
        "message": ended.message,
        "status": ended.status,
        "cpu_time": _ms(phase.cpu_time_us),
        "wall_time": _ms(phase.wall_time_us),
        "memory": phase.memory_kb * 1024 if phase.memory_kb is not None else None,
    }


def respond(job: PistonJob, record: ExecutionRecord) -> JSONResponse:
    """200 with the stages; 504 when the wait ended first; 500 when no stage ran (Piston's
    answer to a job that failed outside its stages, with a message here)."""
    if record.status is not ExecutionStatus.finished:
        return JSONResponse(
            {
                "message": f"execution {record.id} did not finish in time; it continues, and its result will be "
                f"at /v1/executions/{record.id}",
                "execution_id": str(record.id),
            },
            status_code=504,
        )
    stages = {phase.phase: stage(phase) for phase in record.phases}
    run = stages.get(Phase.run) or stages.get(Phase.compile)
    if run is None:
        return JSONResponse(
            {"message": f"execution {record.id} failed: {record.message or 'internal error'}"}, status_code=500
        )
    body: dict[str, Any] = {"language": job.runtime.language, "version": job.runtime.version, "run": run}
    if Phase.compile in stages:
        body["compile"] = stages[Phase.compile]
    return JSONResponse(body)
