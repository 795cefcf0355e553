"""Turning what a sandbox reported into a verdict with a clear message."""

from __future__ import annotations

import signal as signals
from datetime import datetime

from services.executor.outputs import too_large_message
from services.executor.sandbox.box import BoxResult
from services.executor.sandbox.protocol import ExitRecord
from shared.executions import Exceeded, Limits, Phase, PhaseRecord, Verdict
from shared.signals import signal_name

CANCELLED_MESSAGE = "Cancelled on request"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


# A program stopped by a time limit while its resident set was at its memory limit and the
# container kept reading pages back from disk was thrashing there: cgroup v1 reclaims the program's
# own code pages again and again rather than OOM-killing it, so it spends its time on page faults.
# Its memory limit is what ended it.
STALL_RSS_SHARE = 0.9
STALL_MAJOR_FAULTS = 1_000


def _stalled_at_memory_limit(record: ExitRecord, limits: Limits) -> bool:
    at_limit = record.maxrss_kb * 1024 >= limits.memory_mb * (1 << 20) * STALL_RSS_SHARE
    return at_limit and record.major_faults >= STALL_MAJOR_FAULTS


def classify(
    result: BoxResult, limits: Limits, output_files_cap: int | None = None
) -> tuple[Verdict, str, Exceeded | None]:
    """``output_files_cap``: the run phase collects output files, at most that many bytes."""
    if result.user_error is not None:
        # The agent's words for collected files that do not fit (it calls every collected file
        # "compiled"): after the program's clean exit, so output, not a setup failure.
        if output_files_cap is not None and result.started and "compiled file" in result.user_error:
            return Verdict.output_limit, too_large_message(output_files_cap), Exceeded.output
        # The submission could not be set up (its files do not fit...): nothing ran, and retrying
        # would not help.
        return Verdict.runtime_error, result.user_error[:1].upper() + result.user_error[1:], None
    record = result.record
    if result.cancelled and (record is None or record.reason == "killed"):
        return Verdict.cancelled, CANCELLED_MESSAGE, None
    if record is None:
        if result.oom_killed:
            return Verdict.memory_limit, f"Memory limit of {limits.memory_mb} MB exceeded", Exceeded.memory
        if result.timed_out:
            return (
                Verdict.time_limit,
                f"Wall time limit of {_seconds(limits.wall_time_ms)} exceeded",
                Exceeded.wall_time,
            )
        if result.started:
            # The program ran as the agent's uid and can kill it: count that against the program.
            return Verdict.runtime_error, "The program terminated its sandbox supervisor", None
        return Verdict.internal_error, f"Sandbox failure: {result.error or 'no result'}", None
    if record.oom_kills > 0:
        return Verdict.memory_limit, f"Memory limit of {limits.memory_mb} MB exceeded", Exceeded.memory
    if record.reason in ("wall", "cpu") and _stalled_at_memory_limit(record, limits):
        return (
            Verdict.memory_limit,
            f"Memory limit of {limits.memory_mb} MB exceeded (the program thrashed at it until a time limit)",
            Exceeded.memory,
        )
    over_cpu = record.signal in (signals.SIGXCPU, signals.SIGKILL) and record.cpu_us >= limits.cpu_time_ms * 1000
    if record.reason == "cpu" or record.signal == signals.SIGXCPU or over_cpu:
        return Verdict.time_limit, f"CPU time limit of {_seconds(limits.cpu_time_ms)} exceeded", Exceeded.cpu_time
    if record.reason == "wall":
        return Verdict.time_limit, f"Wall time limit of {_seconds(limits.wall_time_ms)} exceeded", Exceeded.wall_time
    if record.reason == "output" or result.output_exceeded:
        stream = (
            "stdout"
            if record.stdout_bytes > limits.output_bytes or len(result.stdout) >= limits.output_bytes
            else "stderr"
        )
        return (
            Verdict.output_limit,
            f"Output limit of {limits.output_bytes} bytes exceeded on {stream}",
            Exceeded.output,
        )
    if record.reason == "killed":
        return Verdict.runtime_error, "Killed on request", None
    if record.signal:
        if record.signal == signals.SIGXFSZ:
            return Verdict.runtime_error, f"File size limit of {limits.file_size_kb} KB exceeded (SIGXFSZ)", None
        return Verdict.runtime_error, f"Killed by signal {record.signal} ({signal_name(record.signal)})", None
    if record.exit_code != 0:
        return Verdict.runtime_error, f"Exited with code {record.exit_code}", None
    return Verdict.ok, "Exited normally", None


def phase_outcome(
    phase: Phase,
    result: BoxResult,
    limits: Limits,
    started_at: datetime,
    finished_at: datetime,
    output_files_cap: int | None = None,
) -> PhaseRecord:
    verdict, message, exceeded = classify(result, limits, output_files_cap)
    record = result.record
    return PhaseRecord(
        phase=phase,
        verdict=verdict,
        message=message,
        exceeded=exceeded,
        exit_code=record.exit_code if record and record.exit_code >= 0 else None,
        signal=record.signal if record and record.signal else None,
        stdout=bytes(result.stdout),
        stderr=bytes(result.stderr),
        stdout_truncated=bool(record and record.stdout_bytes > len(result.stdout)),
        stderr_truncated=bool(record and record.stderr_bytes > len(result.stderr)),
        # Only worth its room when both streams have output.
        output_order=list(result.output_order) if result.stdout and result.stderr else None,
        cpu_time_us=record.cpu_us if record else None,
        wall_time_us=record.wall_us if record else int((finished_at - started_at).total_seconds() * 1e6),
        memory_kb=record.maxrss_kb if record else None,
        started_at=started_at,
        finished_at=finished_at,
    )


def internal_error_outcome(phase: Phase, message: str, at: datetime) -> PhaseRecord:
    return PhaseRecord(
        phase=phase,
        verdict=Verdict.internal_error,
        message=message,
        exceeded=None,
        exit_code=None,
        signal=None,
        stdout=b"",
        stderr=b"",
        stdout_truncated=False,
        stderr_truncated=False,
        cpu_time_us=None,
        wall_time_us=None,
        memory_kb=None,
        started_at=at,
        finished_at=at,
    )
