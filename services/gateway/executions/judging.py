"""Validating an execution's test cases (judging); the executor runs and judges them."""

from __future__ import annotations

from typing import Any

from services.gateway.executions.schemas import ExecutionCreate
from shared.executions import Limits
from shared.problems import FieldError, field_error
from shared.settings import GatewaySettings


def _case_text(loc: list[str | int], text: str, limit: int, errors: list[FieldError]) -> int:
    """The UTF-8 size of a case's text, recording why it is refused (stored as jsonb: no NUL)."""
    try:
        encoded = text.encode()
    except UnicodeEncodeError:
        errors.append(field_error(loc, "must be valid Unicode text (no lone surrogates)"))
        return 0
    if b"\x00" in encoded:
        errors.append(field_error(loc, "must not contain NUL characters"))
    if len(encoded) > limit:
        errors.append(field_error(loc, f"is {len(encoded)} bytes; at most {limit} are accepted", "too_large"))
    return len(encoded)


def check_test_cases(
    payload: ExecutionCreate,
    settings: GatewaySettings,
    limits: Limits,
    *,
    interactive: bool,
    max_wall_ms: int,
    errors: list[FieldError],
) -> list[dict[str, Any]] | None:
    """The cases as stored on the execution (None: not judged); problems go to ``errors`` (422).

    ``max_wall_ms`` bounds cases x the run wall limit: how long the execution may hold an executor
    slot (judge_max_wall_ms, or anonymous_judge_max_wall_ms for anonymous callers)."""
    cases = payload.test_cases
    if cases is None:
        return None
    if interactive:
        errors.append(field_error(["test_cases"], "interactive executions cannot have test cases"))
        return None
    if not cases:
        errors.append(field_error(["test_cases"], "give at least one test case, or leave test_cases out"))
    if len(cases) > settings.judge_max_tests:
        errors.append(
            field_error(["test_cases"], f"at most {settings.judge_max_tests} test cases are allowed", "too_many_items")
        )
        return None
    if payload.stdin:
        errors.append(field_error(["stdin"], "with test_cases, stdin is given per test case"))
    total = 0
    for index, case in enumerate(cases):
        total += _case_text(["test_cases", index, "stdin"], case.stdin, settings.judge_max_case_bytes, errors)
        total += _case_text(
            ["test_cases", index, "expected_stdout"], case.expected_stdout, settings.judge_max_case_bytes, errors
        )
        if case.name is not None:
            _case_text(["test_cases", index, "name"], case.name, settings.judge_max_case_bytes, errors)
    if total > settings.judge_max_total_bytes:
        errors.append(
            field_error(
                ["test_cases"],
                f"the test cases hold {total} bytes of stdin and expected output; "
                f"at most {settings.judge_max_total_bytes} are accepted",
                "too_large",
            )
        )
    wall_ms = len(cases) * limits.wall_time_ms
    if wall_ms > max_wall_ms:
        errors.append(
            field_error(
                ["test_cases"],
                f"{len(cases)} cases at a wall time limit of {limits.wall_time_ms} ms may take {wall_ms} ms; "
                f"at most {max_wall_ms} ms are allowed: lower limits.wall_time_ms or the number "
                "of cases",
            )
        )
    return [case.model_dump() for case in cases]
