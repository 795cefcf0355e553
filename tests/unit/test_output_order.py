"""The order stdout and stderr arrived in: recorded by the box, clipped with the output, replayed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiodocker.stream import Message

from services.executor.judging import case_record
from services.executor.sandbox import protocol
from services.executor.sandbox.box import Box, BoxResult, Program, Shape
from services.executor.verdicts import phase_outcome
from shared.executions import (
    ORDER_MAX_RUNS,
    CompareMode,
    JudgeCase,
    Limits,
    Phase,
    PhaseRecord,
    RunRecord,
    Verdict,
    add_to_order,
    clip_order,
    interleaved,
)

LIMITS = Limits(wall_time_ms=2_000, cpu_time_ms=1_000, memory_mb=128, processes=8, output_bytes=10, file_size_kb=1)
AT = datetime(2026, 12, 7, tzinfo=UTC)


def run_record(stdout: bytes, stderr: bytes, order: list[int] | None) -> RunRecord:
    return RunRecord(
        verdict=Verdict.ok,
        message=None,
        exceeded=None,
        exit_code=0,
        signal=None,
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=False,
        stderr_truncated=False,
        cpu_time_us=None,
        wall_time_us=None,
        memory_kb=None,
        started_at=None,
        finished_at=None,
        output_order=order,
    )


def test_interleaved_follows_the_runs() -> None:
    run = run_record(b"out1out2out3", b"err1err2", [4, -4, 4, -4, 4])
    assert interleaved(run) == b"out1err1out2err2out3"


@pytest.mark.parametrize("order", [None, []])
def test_without_an_order_stdout_comes_first(order: list[int] | None) -> None:
    assert interleaved(run_record(b"out", b"err", order)) == b"outerr"


def test_bytes_the_order_does_not_cover_follow_stdout_first() -> None:
    run = run_record(b"out1out2", b"err1err2", [-4, 4])
    assert interleaved(run) == b"err1out1out2err2"


def test_runs_longer_than_the_output_yield_what_there_is() -> None:
    assert interleaved(run_record(b"ab", b"c", [5, -5])) == b"abc"


def test_add_to_order_merges_runs_of_one_stream() -> None:
    order: list[int] = []
    for n in (3, 2, 0, -1, -4, 6, 0):
        add_to_order(order, n)
    assert order == [5, -5, 6]


def test_add_to_order_stops_at_the_cap() -> None:
    order: list[int] = []
    for _ in range(ORDER_MAX_RUNS // 2):
        add_to_order(order, 1)
        add_to_order(order, -1)
    assert len(order) == ORDER_MAX_RUNS
    # Not even a merge into the last run: a run already dropped may lie between.
    add_to_order(order, 1)
    add_to_order(order, -1)
    assert order[-2:] == [1, -1]
    assert len(order) == ORDER_MAX_RUNS


def test_a_capped_order_still_replays_every_byte() -> None:
    order: list[int] = []
    pieces = [(b"o", 1), (b"e", -1)] * (ORDER_MAX_RUNS // 2 + 2)
    for _, n in pieces:
        add_to_order(order, n)
    stdout = b"o" * sum(n > 0 for _, n in pieces)
    stderr = b"e" * sum(n < 0 for _, n in pieces)
    merged = interleaved(run_record(stdout, stderr, order))
    assert merged == b"oe" * (ORDER_MAX_RUNS // 2) + b"oo" + b"ee"


@pytest.mark.parametrize(
    ("order", "stdout_len", "stderr_len", "expected"),
    [
        (None, 5, 5, None),
        ([4, -4, 4], 8, 4, [4, -4, 4]),
        # stdout cut inside its second run.
        ([4, -4, 4, -4], 6, 8, [4, -4, 2, -4]),
        # stderr gone: the stdout runs around it merge, and one stream needs no order.
        ([4, -4, 4], 8, 0, None),
        # stdout cut before its second run: the stderr runs merge.
        ([4, -4, 4, -4], 4, 8, [4, -8]),
        ([4, -4], 0, 0, None),
    ],
)
def test_clip_order_keeps_the_order_of_the_kept_bytes(
    order: list[int] | None, stdout_len: int, stderr_len: int, expected: list[int] | None
) -> None:
    assert clip_order(order, stdout_len, stderr_len) == expected


class FakeStream:
    """The agent's side of an attach stream: frames to read, frames written."""

    def __init__(self, frames: list[bytes]) -> None:
        self.messages = [Message(1, frame) for frame in frames]
        self.written: list[bytes] = []

    async def read_out(self) -> Message | None:
        return self.messages.pop(0) if self.messages else None

    async def write_in(self, data: bytes) -> None:
        self.written.append(data)


async def box_run(*frames: bytes) -> BoxResult:
    exit_record = b"exit_code=0\nsignal=0\nreason=none\n"
    stream = FakeStream([*frames, protocol.frame(protocol.EXIT, exit_record)])
    fake: Any = stream
    box = Box(fake, fake, Shape("image", 128, 8), 1000)
    program = Program(files=(), argv=("true",), env={}, limits=LIMITS)
    return await box.run(program, lambda _name, _data: None, grace_s=1.0)


async def test_the_box_records_the_order_of_the_kept_bytes() -> None:
    out, err = protocol.STDOUT, protocol.STDERR
    result = await box_run(
        protocol.frame(out, b"ab"),
        protocol.frame(out, b"c"),
        protocol.frame(err, b"XY"),
        protocol.frame(out, b"def"),
        # Past the 10-byte limit on stdout: only "ghij" is kept, then nothing more.
        protocol.frame(out, b"ghijklm"),
        protocol.frame(out, b"nop"),
        protocol.frame(err, b"Z"),
    )
    assert (bytes(result.stdout), bytes(result.stderr)) == (b"abcdefghij", b"XYZ")
    assert result.output_order == [3, -2, 7, -1]

    phase = phase_outcome(Phase.run, result, LIMITS, AT, AT)
    assert phase.output_order == [3, -2, 7, -1]
    assert interleaved(phase) == b"abcXYdefghijZ"


async def test_one_stream_stores_no_order() -> None:
    result = await box_run(protocol.frame(protocol.STDOUT, b"a"), protocol.frame(protocol.STDOUT, b"b"))
    assert result.output_order == [2]
    assert phase_outcome(Phase.run, result, LIMITS, AT, AT).output_order is None


def test_a_judged_case_cut_to_its_cap_keeps_a_consistent_order() -> None:
    ran = PhaseRecord(phase=Phase.run, **run_record(b"out1out2", b"err1err2", [4, -4, 4, -4]).model_dump())
    case = JudgeCase(stdin="", expected_stdout="out1out2")
    record = case_record(0, case, ran, CompareMode.exact, output_cap=6)
    assert record.verdict is Verdict.accepted
    assert (record.stdout, record.stderr) == (b"out1ou", b"err1er")
    assert record.output_order == [4, -4, 2, -2]
    assert interleaved(record) == b"out1err1ouer"
    uncut = case_record(0, case, ran, CompareMode.exact, output_cap=100)
    assert uncut.output_order == [4, -4, 4, -4]
