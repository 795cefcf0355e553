"""How a sandbox's exit record becomes a verdict: the cases where two limits could explain it."""

from __future__ import annotations

import signal

import pytest

from services.executor.sandbox.box import BoxResult
from services.executor.sandbox.protocol import ExitRecord
from services.executor.verdicts import classify
from shared.executions import Exceeded, Limits, Verdict

LIMITS = Limits(
    wall_time_ms=2_000, cpu_time_ms=1_000, memory_mb=128, processes=8, output_bytes=1 << 20, file_size_kb=1024
)


def record(**overrides: object) -> ExitRecord:
    fields: dict[str, object] = {
        "exit_code": -1,
        "signal": signal.SIGKILL,
        "reason": "wall",
        "cpu_us": 300_000,
        "wall_us": 2_000_000,
        "maxrss_kb": 1_000,
        "mem_peak_bytes": 1_024_000,
        "oom_kills": 0,
        "major_faults": 3,
        "stdout_bytes": 0,
        "stderr_bytes": 0,
    }
    return ExitRecord(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # Sleeping past the wall clock.
        ({}, (Verdict.time_limit, Exceeded.wall_time)),
        # Thrashing at the memory limit (its pages read back from disk again and again) until a
        # time limit: the memory limit is what ended it.
        ({"maxrss_kb": 125 * 1024, "major_faults": 2_600}, (Verdict.memory_limit, Exceeded.memory)),
        (
            {"reason": "cpu", "cpu_us": 1_000_000, "maxrss_kb": 125 * 1024, "major_faults": 2_600},
            (Verdict.memory_limit, Exceeded.memory),
        ),
        # Reading from disk while small, or at the limit while computing from memory: time.
        ({"maxrss_kb": 10 * 1024, "major_faults": 5_000}, (Verdict.time_limit, Exceeded.wall_time)),
        ({"maxrss_kb": 125 * 1024}, (Verdict.time_limit, Exceeded.wall_time)),
        ({"oom_kills": 1}, (Verdict.memory_limit, Exceeded.memory)),
        ({"reason": "cpu", "cpu_us": 1_000_000}, (Verdict.time_limit, Exceeded.cpu_time)),
        ({"reason": "cpu", "cpu_us": 1_000_000, "maxrss_kb": 125 * 1024}, (Verdict.time_limit, Exceeded.cpu_time)),
    ],
)
def test_verdict_names_the_limit_that_ended_the_program(
    overrides: dict[str, object], expected: tuple[Verdict, Exceeded]
) -> None:
    verdict, message, exceeded = classify(BoxResult(record=record(**overrides), started=True), LIMITS)
    assert (verdict, exceeded) == expected
    assert ("Memory limit of 128 MB" in message) == (verdict is Verdict.memory_limit)


def test_a_cancelled_program_is_cancelled_unless_it_ended_on_its_own_first() -> None:
    killed = BoxResult(record=record(reason="killed"), started=True, cancelled=True)
    assert classify(killed, LIMITS) == (Verdict.cancelled, "Cancelled on request", None)
    # Cancelled before its phase started: no record at all.
    assert classify(BoxResult(cancelled=True), LIMITS)[0] is Verdict.cancelled
    # The kill went out as the program exited by itself: what it did stands.
    exited = BoxResult(record=record(reason="exit", signal=0, exit_code=0), started=True, cancelled=True)
    assert classify(exited, LIMITS)[0] is Verdict.ok
    # A kill that was not a cancellation (an interactive session's end) is the program's failure.
    assert classify(BoxResult(record=record(reason="killed"), started=True), LIMITS)[0] is Verdict.runtime_error
