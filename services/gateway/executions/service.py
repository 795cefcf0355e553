"""Turning a submission into a persisted execution: validation, defaults, limits.

Nothing here commits or enqueues; the endpoint owns that boundary.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from services.gateway.executions.judging import check_test_cases
from services.gateway.executions.schemas import ExecutionCreate, LimitsIn
from services.gateway.webhooks import service as webhooks
from shared.db.models import Execution
from shared.executions import Limits
from shared.languages import VERSIONS, Language, select
from shared.limits import default_value
from shared.problems import FieldError, ProblemError, ValidationProblem, field_error
from shared.settings import GatewaySettings, LimitsPolicy
from shared.webhooks import WebhookStatus

# One path component: no separators, not "." or "..", printable and shell-inert characters only.
_COMPONENT = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._+\-]{1,100}$")
MAX_PATH_LENGTH = 255
MAX_PATH_DEPTH = 8
# Output files: the sandbox agent collects at most this many paths (MAX_COLLECT in agent.c).
MAX_OUTPUT_PATHS = 16


def _too_large(detail: str) -> ProblemError:
    return ProblemError(413, "content-too-large", "Content too large", detail)


def file_name_problem(name: str) -> str | None:
    if not name or len(name) > MAX_PATH_LENGTH:
        return f"file names must be 1 to {MAX_PATH_LENGTH} characters long"
    if name.startswith("/"):
        return "file names must be relative paths"
    parts = name.split("/")
    if len(parts) > MAX_PATH_DEPTH:
        return f"file paths may be at most {MAX_PATH_DEPTH} levels deep"
    for part in parts:
        if not _COMPONENT.match(part):
            return f"invalid path component {part!r}: use letters, digits, '.', '_', '+', '-' (not '.' or '..')"
        # Names reach compilers and interpreters as argv: "-v" would be read as an option, past the
        # compile-option allow-list (the catalogue also passes names as ./name or after --).
        if part.startswith("-"):
            return f"file name {name!r}: no part of a path may start with '-'"
    return None


def caller_policies(settings: GatewaySettings, user_id: uuid.UUID | None) -> tuple[LimitsPolicy, LimitsPolicy]:
    """The run and compile limits policies of a caller: an account's, or the anonymous ones."""
    if user_id is not None:
        return settings.limits, settings.compile_limits
    return settings.anonymous_limits, settings.anonymous_compile_limits


def resolve_limits(
    requested: LimitsIn | None,
    policy: LimitsPolicy,
    language_defaults: Mapping[str, int],
    loc: str,
    errors: list[FieldError],
) -> Limits:
    values: dict[str, int] = {}
    for name, bounds in policy:
        asked = getattr(requested, name) if requested is not None else None
        if asked is None:
            values[name] = default_value(name, bounds, language_defaults)
            continue
        if not bounds.minimum <= asked <= bounds.maximum:
            errors.append(
                field_error(
                    [loc, name],
                    f"must be between {bounds.minimum} and {bounds.maximum}",
                    "out_of_range",
                )
            )
        values[name] = asked
    return Limits(**values)


def _utf8(text: str) -> bytes | None:
    """UTF-8 bytes, or None for text JSON can carry but UTF-8 cannot (lone surrogates)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return None


def _check_text(loc: list[str | int], text: str, errors: list[FieldError], *, nul: bool = False) -> bytes:
    encoded = _utf8(text)
    if encoded is None:
        errors.append(field_error(loc, "must be valid Unicode text (no lone surrogates)"))
        return b""
    if not nul and b"\x00" in encoded:
        errors.append(field_error(loc, "must not contain NUL characters"))
    return encoded


def _decoded_size(loc: list[str | int], content: str, errors: list[FieldError]) -> int:
    """The size of a base64 file's bytes; strict base64 (no whitespace, right padding), since the
    executor decodes what is stored without checking again."""
    try:
        return len(base64.b64decode(content, validate=True))
    except (binascii.Error, ValueError):
        errors.append(field_error(loc, "must be valid base64 (encoding is base64)", "invalid_base64"))
        return 0


# (name, content, encoding) of one submitted file.
SubmittedFile = tuple[str, str, str]


def _collect_files(
    payload: ExecutionCreate, language: Language, settings: GatewaySettings, errors: list[FieldError]
) -> tuple[list[SubmittedFile], str, int]:
    """The submitted files (entry first), the entry's name, and the total source size (the decoded
    bytes of base64 files)."""
    if payload.files is not None:
        files = [(f.name, f.content, f.encoding or "text") for f in payload.files]
        if not files:
            errors.append(field_error(["files"], "at least one file is required"))
        if len(files) > settings.max_files:
            errors.append(field_error(["files"], f"at most {settings.max_files} files are allowed"))
    else:
        source = payload.source or ""
        files = [(language.file_name_for(source), source, "text")]

    seen: set[str] = set()
    size = 0
    for index, (name, content, encoding) in enumerate(files):
        problem = file_name_problem(name)
        if problem:
            errors.append(field_error(["files", index, "name"], problem))
        elif name in seen:
            errors.append(field_error(["files", index, "name"], f"duplicate file name {name!r}"))
        seen.add(name)
        if encoding == "base64":
            size += _decoded_size(["files", index, "content"], content, errors)
        else:
            size += len(_check_text(["files", index, "content"], content, errors))

    names = [name for name, _, _ in files]
    entry = payload.entry
    if entry is None:
        entry = language.source_file if language.source_file in names else (names[0] if names else "")
    elif entry not in names:
        errors.append(field_error(["entry"], f"entry {entry!r} is not among the submitted files"))
    for index, (name, _, encoding) in enumerate(files):
        # The entry is read as source code (its name and text pick the class to run, for one).
        if name == entry and encoding != "text":
            errors.append(field_error(["files", index, "encoding"], "the entry file must be text"))
    # The entry file goes first: the executor takes the first file as the entry point.
    return sorted(files, key=lambda item: item[0] != entry), entry, size


def _check_output_files(payload: ExecutionCreate, errors: list[FieldError]) -> None:
    paths = payload.output_files
    if len(paths) > MAX_OUTPUT_PATHS:
        errors.append(field_error(["output_files"], f"at most {MAX_OUTPUT_PATHS} paths are allowed"))
        return
    if paths and payload.test_cases:
        errors.append(
            field_error(["output_files"], "judged executions have no single run phase to collect output files from")
        )
    seen: set[str] = set()
    for index, path in enumerate(paths):
        # The same rules as input file names: relative, no "." or "..", a safe character set.
        if problem := file_name_problem(path):
            errors.append(field_error(["output_files", index], problem))
        elif path in seen:
            errors.append(field_error(["output_files", index], f"duplicate path {path!r}"))
        seen.add(path)


def _stored_file(name: str, content: str, encoding: str) -> dict[str, str]:
    # Text files keep the shape rows had before binary files existed (no encoding: text).
    return {"name": name, "content": content, **({"encoding": encoding} if encoding != "text" else {})}


def _check_argv(
    payload: ExecutionCreate, language: Language, settings: GatewaySettings, errors: list[FieldError]
) -> None:
    if len(payload.args) > settings.max_args:
        errors.append(field_error(["args"], f"at most {settings.max_args} arguments are allowed"))
    for index, arg in enumerate(payload.args):
        if len(_check_text(["args", index], arg, errors)) > settings.max_arg_bytes:
            errors.append(field_error(["args", index], f"arguments are limited to {settings.max_arg_bytes} bytes"))
    if payload.compile_options and not language.compiled:
        errors.append(field_error(["compile_options"], f"{language.id} has no compile phase"))
    elif len(payload.compile_options) > settings.max_args:
        errors.append(field_error(["compile_options"], f"at most {settings.max_args} options are allowed"))
    else:
        for flag in language.disallowed_flags(payload.compile_options):
            index = payload.compile_options.index(flag)
            allowed = ", ".join(language.allowed_flags) or "none"
            errors.append(
                field_error(["compile_options", index], f"{flag!r} is not allowed; allowed patterns: {allowed}")
            )


def build_execution(
    payload: ExecutionCreate,
    settings: GatewaySettings,
    versions: Mapping[str, str],
    *,
    interactive: bool = False,
    user_id: uuid.UUID | None = None,
) -> Execution:
    """Validate a submission against the server's rules and build its (unsaved) row."""
    errors: list[FieldError] = []
    language = select_language(payload.language, payload.version, versions)
    available = versions.get(language.key)

    files, _entry, source_bytes = _collect_files(payload, language, settings, errors)
    _check_output_files(payload, errors)
    _check_argv(payload, language, settings, errors)
    stdin = _check_text(["stdin"], payload.stdin, errors, nul=True)

    # Anonymous callers get the stricter policies, for compiling too (compilers run code).
    policy, compile_policy = caller_policies(settings, user_id)
    if interactive:
        wall = settings.interactive_wall_time_ms if user_id else settings.anonymous_interactive_wall_time_ms
        policy = policy.model_copy(update={"wall_time_ms": wall})
    limits = resolve_limits(payload.limits, policy, language.run_limit_defaults, "limits", errors)
    compile_limits = None
    if language.compiled:
        compile_limits = resolve_limits(
            payload.compile_limits, compile_policy, language.compile_limit_defaults, "compile_limits", errors
        )
    elif payload.compile_limits is not None:
        errors.append(field_error(["compile_limits"], f"{language.id} has no compile phase"))
    judge_wall_ms = settings.judge_max_wall_ms if user_id else settings.anonymous_judge_max_wall_ms
    test_cases = check_test_cases(
        payload, settings, limits, interactive=interactive, max_wall_ms=judge_wall_ms, errors=errors
    )

    webhook_url = payload.callback_url
    if webhook_url is not None and (problem := webhooks.callback_problem(webhook_url, user_id, settings)):
        errors.append(field_error(["callback_url"], problem, "callback_url_refused"))

    if source_bytes > settings.max_source_bytes:
        raise _too_large(f"the source is {source_bytes} bytes; at most {settings.max_source_bytes} are accepted")
    if len(stdin) > settings.max_stdin_bytes:
        raise _too_large(f"stdin is {len(stdin)} bytes; at most {settings.max_stdin_bytes} are accepted")
    if errors:
        raise ValidationProblem(errors)

    return Execution(
        # Set here, not by the database, so the job can carry it without a read-back.
        created_at=datetime.now(UTC),
        user_id=user_id,
        language=language.id,
        variant=language.variant,
        version=available,
        files=[_stored_file(*file) for file in files],
        output_files=list(payload.output_files),
        stdin=stdin,
        args=list(payload.args),
        compile_options=list(payload.compile_options),
        interactive=interactive,
        limits=limits.model_dump(),
        compile_limits=compile_limits.model_dump() if compile_limits else None,
        test_cases=test_cases,
        compare=payload.compare.value if test_cases is not None else None,
        webhook_url=webhook_url,
        webhook_status=WebhookStatus.pending.value if webhook_url else None,
    )


def select_language(language_id: str, version: str | None, versions: Mapping[str, str]) -> Language:
    """The catalogue's definition for a language and a requested version (prefix), or a 422."""
    if language_id not in VERSIONS:
        known = ", ".join(sorted(VERSIONS))
        raise ValidationProblem.for_field(["language"], f"unknown language; known: {known}", "unknown_language")
    language = select(language_id, version, versions)
    if language is None:
        offered = ", ".join(
            f"{lang.variant} ({versions[lang.key]})" if lang.key in versions else lang.variant
            for lang in VERSIONS[language_id]
        )
        raise ValidationProblem.for_field(
            ["version"],
            f"version {version!r} of {language_id} is not available; available: {offered}",
            "unknown_version",
        )
    return language


async def prepare_execution(
    payload: ExecutionCreate,
    settings: GatewaySettings,
    versions: Mapping[str, str],
    *,
    interactive: bool = False,
    user_id: uuid.UUID | None = None,
) -> Execution:
    """build_execution, then the callback URL's host resolved and vetted (422 for a private
    destination): every way of creating an execution passes both."""
    execution = build_execution(payload, settings, versions, interactive=interactive, user_id=user_id)
    await webhooks.vet_callback(execution.webhook_url, settings)
    return execution
