"""Judging: the program is compiled once, then run once per test case, each run in its own sandbox
with the execution's run limits, and its stdout compared with the case's expected output.

A case's verdict is the run's own when the run failed (time_limit, memory_limit, runtime_error,
output_limit, internal_error); otherwise accepted or wrong_answer. The execution's verdict is
accepted when every case is, else the verdict of the first failing case (in test_cases order).
Every case runs, also after a failure, so the results show the whole picture (but none after a
cancellation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from services.executor.events import EventPublisher
from services.executor.runner import ExecutionOutcome, ExecutionSpec, Runner, compile_verdict
from services.executor.sandbox.box import Box
from shared.executions import (
    CaseRecord,
    CompareMode,
    JudgeCase,
    Phase,
    PhaseRecord,
    RunRecord,
    Verdict,
    clip_order,
)

# Trailing characters the whitespace mode ignores on each line.
TRAILING_WHITESPACE = b" \t\r\f\v"


def _tolerant_lines(data: bytes) -> list[bytes]:
    lines = [line.rstrip(TRAILING_WHITESPACE) for line in data.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _lines(data: bytes, mode: CompareMode) -> list[bytes]:
    if mode is CompareMode.whitespace:
        return _tolerant_lines(data)
    return data.splitlines(keepends=True)


def matches(actual: bytes, expected: bytes, mode: CompareMode) -> bool:
    if mode is CompareMode.exact:
        return actual == expected
    return _tolerant_lines(actual) == _tolerant_lines(expected)


def difference(actual: bytes, expected: bytes, mode: CompareMode) -> str:
    """Where the output first departs from the expected one, for the case's message."""
    got, want = _lines(actual, mode), _lines(expected, mode)
    for number, (line, wanted) in enumerate(zip(got, want, strict=False), start=1):
        if line != wanted:
            return f"Wrong answer: line {number} differs from the expected output"
    if len(got) < len(want):
        return f"Wrong answer: the output has {len(got)} lines, {len(want)} were expected"
    return f"Wrong answer: the output has {len(got)} lines, only {len(want)} were expected"


def _capped(data: bytes, cap: int) -> tuple[bytes, bool]:
    return (data[:cap], True) if len(data) > cap else (data, False)


def case_record(index: int, case: JudgeCase, ran: PhaseRecord, mode: CompareMode, output_cap: int) -> CaseRecord:
    verdict, message = ran.verdict, ran.message
    if verdict is Verdict.ok:
        expected = case.expected_stdout.encode()
        if matches(ran.stdout, expected, mode):
            verdict, message = Verdict.accepted, "The output matches the expected output"
        else:
            verdict, message = Verdict.wrong_answer, difference(ran.stdout, expected, mode)
    stdout, stdout_cut = _capped(ran.stdout, output_cap)
    stderr, stderr_cut = _capped(ran.stderr, output_cap)
    # The run's record as it is, but for the judged verdict and the capped output.
    run = {field: getattr(ran, field) for field in RunRecord.model_fields}
    run.update(
        verdict=verdict,
        message=message,
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=ran.stdout_truncated or stdout_cut,
        stderr_truncated=ran.stderr_truncated or stderr_cut,
        output_order=clip_order(ran.output_order, len(stdout), len(stderr)),
    )
    return CaseRecord(index=index, name=case.name, **run)


def summary(tests: Sequence[CaseRecord], total: int) -> tuple[Verdict, str]:
    """The execution's verdict and message. Messages number cases from 1, for people."""
    for test in tests:
        if test.verdict is not Verdict.accepted:
            label = f"Test {test.index + 1} of {total}" + (f" ({test.name})" if test.name else "")
            if test.verdict is Verdict.cancelled:
                return test.verdict, f"{test.message or 'Cancelled'} during test {label[5:]}"
            return test.verdict, f"{label} failed: {test.message or test.verdict.value}"
    return Verdict.accepted, f"Accepted: all {total} tests passed"


async def judge(
    runner: Runner,
    spec: ExecutionSpec,
    events: EventPublisher,
    on_user_code: Callable[[], None],
    *,
    output_cap: int,
) -> ExecutionOutcome:
    outcome = ExecutionOutcome(Verdict.ok, "")
    cases = list(spec.test_cases)
    # The first case's sandbox is taken while the compiler works, each next one while a case runs.
    upcoming: asyncio.Task[Box] | None = asyncio.create_task(runner.acquire(spec, Phase.run, spec.limits))
    try:
        compiled, run_files = await runner.compile(spec, events, on_user_code)
        if compiled is not None:
            outcome.phases.append(compiled)
            if compiled.verdict is not Verdict.ok:
                outcome.verdict, outcome.message = compile_verdict(compiled)
                return outcome
        for index, case in enumerate(cases):
            launch, upcoming = upcoming, None
            if index + 1 < len(cases):
                upcoming = asyncio.create_task(runner.acquire(spec, Phase.run, spec.limits))
            program = runner.run_program(spec, run_files, case.stdin.encode())
            ran, _ = await runner.run_phase(spec, Phase.run, program, events, on_user_code, launch, test=index)
            record = case_record(index, case, ran, spec.compare, output_cap)
            outcome.tests.append(record)
            events.test_result(index, record.verdict.value)
            if record.verdict is Verdict.cancelled:
                break
        outcome.verdict, outcome.message = summary(outcome.tests, len(cases))
        return outcome
    finally:
        # A sandbox taken for a case that never ran must not outlive the execution.
        if upcoming is not None:
            if not upcoming.done():
                upcoming.cancel()
            await asyncio.wait([upcoming])
            if not upcoming.cancelled() and upcoming.exception() is None:
                runner.pool.release(upcoming.result())
