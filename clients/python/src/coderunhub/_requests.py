"""Building request bodies from keyword arguments, and waiting for executions to finish."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import httpx

from coderunhub import errors
from coderunhub._http import Transport
from coderunhub.models import ExecutionCreate, ExecutionOut, ExecutionStatus, FileIn, JudgeCaseIn, LimitsIn

Files: TypeAlias = Mapping[str, str] | Sequence[FileIn]
LimitsArg: TypeAlias = LimitsIn | Mapping[str, int]
TestCases: TypeAlias = Sequence[JudgeCaseIn | Mapping[str, Any]]
# The API answers 202 with Retry-After: 1 when ?wait=true ran out; polls without one wait this long.
POLL_S = 1.0


def file_list(files: Files) -> list[FileIn]:
    if isinstance(files, Mapping):
        return [FileIn(name=name, content=content) for name, content in files.items()]
    return list(files)


def execution_request(
    language: str,
    source: str | None = None,
    *,
    files: Files | None = None,
    stdin: str | None = None,
    args: Sequence[str] | None = None,
    version: str | None = None,
    entry: str | None = None,
    compile_options: Sequence[str] | None = None,
    limits: LimitsArg | None = None,
    compile_limits: LimitsArg | None = None,
    test_cases: TestCases | None = None,
    compare: str | None = None,
    callback_url: str | None = None,
    output_files: Sequence[str] | None = None,
) -> ExecutionCreate:
    """An ExecutionCreate holding only the fields given, so the server's defaults apply to the rest."""
    given: dict[str, Any] = {
        "source": source,
        "files": file_list(files) if files is not None else None,
        "stdin": stdin,
        "args": list(args) if args is not None else None,
        "version": version,
        "entry": entry,
        "compile_options": list(compile_options) if compile_options is not None else None,
        "limits": limits,
        "compile_limits": compile_limits,
        "test_cases": list(test_cases) if test_cases is not None else None,
        "compare": compare,
        "callback_url": callback_url,
        "output_files": list(output_files) if output_files is not None else None,
    }
    return ExecutionCreate.model_validate(
        {"language": language, **{key: value for key, value in given.items() if value is not None}}
    )


def idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


async def until_finished(
    transport: Transport, response: httpx.Response, *, encoding: str, timeout_s: float | None
) -> ExecutionOut:
    """The finished execution from a ``?wait=true`` answer: at once when it is a 200, otherwise by
    polling the Location the 202 named, as often as its Retry-After asks."""
    execution = ExecutionOut.model_validate(response.json())
    # Location names the execution; its path is asked of the configured base URL (unless it is not
    # one of this API's paths, e.g. behind a proxy adding a prefix: then the execution's own).
    location = same_origin(response.headers.get("location") or "")
    if not location.startswith("/v1/executions/"):
        location = execution_path(execution)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    delay = errors.retry_after(response) or POLL_S
    while execution.status != ExecutionStatus.finished:
        if deadline is not None and time.monotonic() + delay > deadline:
            raise TimeoutError(f"execution {execution.id} did not finish within {timeout_s} s")
        await asyncio.sleep(delay)
        polled = await transport.request("GET", location, params={"encoding": encoding})
        execution = ExecutionOut.model_validate(polled.json())
        delay = errors.retry_after(polled) or POLL_S
    return execution


def execution_path(execution: uuid.UUID | str | ExecutionOut) -> str:
    return f"/v1/executions/{execution_id(execution)}"


def same_origin(link: str) -> str:
    """A link's path (and query), to be requested from the configured base URL: links may be
    absolute, and credentials go only where the caller said, never where a response points."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def execution_id(execution: uuid.UUID | str | ExecutionOut) -> str:
    return str(execution.id if isinstance(execution, ExecutionOut) else execution)
