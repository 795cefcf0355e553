"""Output files rebuilt from the agent's extents, and the cap on what they may become."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from services.executor.outputs import MAX_OUTPUT_FILES, output_files, with_output_files
from services.executor.sandbox.box import BoxResult
from services.executor.sandbox.protocol import Artifact, ExitRecord, parse_sparse_file
from services.executor.verdicts import classify
from shared.executions import Exceeded, Limits, Phase, PhaseRecord, Verdict
from tests.unit.test_protocol import sparse_payload

CAP = 4 << 20


def artifact(name: str, size: int, extents: list[tuple[int, bytes]], mode: int = 0o644) -> Artifact:
    return parse_sparse_file(sparse_payload(name, mode, size, extents))


def ran(verdict: Verdict = Verdict.ok) -> PhaseRecord:
    now = datetime.now(UTC)
    return PhaseRecord(
        phase=Phase.run,
        verdict=verdict,
        message="Exited normally",
        exceeded=None,
        exit_code=0,
        signal=None,
        stdout=b"",
        stderr=b"",
        stdout_truncated=False,
        stderr_truncated=False,
        cpu_time_us=1,
        wall_time_us=1,
        memory_kb=1,
        started_at=now,
        finished_at=now,
    )


def test_files_are_rebuilt_from_their_extents_with_holes_as_zeros() -> None:
    files = output_files(
        [
            artifact("out.bin", 10, [(0, b"ab"), (6, b"cd")], mode=0o755),
            artifact("dir/empty", 0, []),
            artifact("dir/hole", 5, []),
        ],
        CAP,
    )
    assert not isinstance(files, str)
    assert [(f.name, f.size, f.mode, f.content) for f in files] == [
        ("out.bin", 10, 0o755, b"ab\0\0\0\0cd\0\0"),
        ("dir/empty", 0, 0o644, b""),
        ("dir/hole", 5, 0o644, b"\0" * 5),
    ]


def test_apparent_sizes_count_against_the_cap_before_anything_is_inflated() -> None:
    # A terabyte of holes around one byte: inflating it first would take a terabyte of memory.
    sparse = artifact("sparse.bin", 1 << 40, [((1 << 40) - 1, b"x")])
    assert sparse.data_bytes == 1
    assert output_files([sparse], CAP) == f"Output files take more than {CAP} bytes"
    # The sizes together: two files fitting one by one do not fit together.
    half = artifact("half", CAP // 2 + 1, [])
    assert output_files([half, artifact("other", CAP // 2, [])], CAP) == f"Output files take more than {CAP} bytes"
    exactly = output_files([artifact("a", CAP // 2, []), artifact("b", CAP // 2, [])], CAP)
    assert not isinstance(exactly, str)
    assert sum(f.size for f in exactly) == CAP


def test_too_many_files_are_refused() -> None:
    many = [artifact(f"f{i}", 0, []) for i in range(MAX_OUTPUT_FILES + 1)]
    assert output_files(many, CAP) == f"More than {MAX_OUTPUT_FILES} output files"
    assert not isinstance(output_files(many[:-1], CAP), str)


def test_a_run_whose_files_do_not_fit_is_an_output_limit() -> None:
    record, files = with_output_files(ran(), [artifact("big", CAP + 1, [])], CAP)
    assert (record.verdict, record.message, record.exceeded, files) == (
        Verdict.output_limit,
        f"Output files take more than {CAP} bytes",
        Exceeded.output,
        [],
    )
    record, files = with_output_files(ran(), [artifact("small", 3, [(0, b"abc")])], CAP)
    assert (record.verdict, [f.content for f in files]) == (Verdict.ok, [b"abc"])
    # A failed run keeps its verdict, and no files (the agent collects after a clean exit only).
    failed = ran(Verdict.runtime_error)
    assert with_output_files(failed, [artifact("small", 3, [(0, b"abc")])], CAP) == (failed, [])


def test_the_agents_refusal_to_send_them_is_an_output_limit_too() -> None:
    record = ExitRecord.parse(b"exit_code=0\nsignal=0\nreason=none\n")
    refusal = "the compiled files take more than 4194304 bytes, the most the run sandbox can hold"
    result = BoxResult(record=record, user_error=refusal, started=True)
    limits = Limits(
        wall_time_ms=1000, cpu_time_ms=1000, memory_mb=64, processes=8, output_bytes=1024, file_size_kb=1024
    )
    assert classify(result, limits, CAP) == (
        Verdict.output_limit,
        f"Output files take more than {CAP} bytes",
        Exceeded.output,
    )
    # Without output files (a compile phase's artifacts) it stays the submitter's runtime error.
    assert classify(result, limits)[0] is Verdict.runtime_error
    # Files that could not be set up before the program started are not output.
    unstarted = BoxResult(record=record, user_error="the files do not fit in the sandbox", started=False)
    assert classify(unstarted, limits, CAP)[0] is Verdict.runtime_error


def test_names_that_are_not_utf8_are_shown_replaced_and_kept_once() -> None:
    def raw(name: bytes, data: bytes) -> Artifact:
        head = struct.pack(">H", len(name)) + name + struct.pack(">IQ", 0o644, len(data))
        return parse_sparse_file(head + struct.pack(">QI", 0, len(data)) + data)

    files = output_files([raw(b"out/\xff.bin", b"a"), raw(b"out/\xfe.bin", b"b")], CAP)
    assert not isinstance(files, str)
    assert [(f.name, f.content) for f in files] == [("out/\ufffd.bin", b"a")]
