"""How the executor's analysis lane reads a tool's sandbox run (services/executor/analysis.py): which
limit ended it becomes the analysis' status, never diagnostics."""

from __future__ import annotations

import dataclasses

import pytest

from services.executor.analysis import SIGXFSZ, _failure, own_sources
from services.executor.sandbox.box import BoxResult
from services.executor.sandbox.protocol import ExitRecord
from shared.analysis.model import AnalysisStatus

CLEAN = ExitRecord(
    exit_code=0,
    signal=0,
    reason="none",
    cpu_us=4000,
    wall_us=5000,
    maxrss_kb=30_000,
    mem_peak_bytes=31_000_000,
    oom_kills=0,
    major_faults=0,
    stdout_bytes=2,
    stderr_bytes=0,
)


def _ended(**record: object) -> BoxResult:
    return BoxResult(record=dataclasses.replace(CLEAN, **record), started=True)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (_ended(reason="cpu"), AnalysisStatus.timeout),
        (_ended(reason="wall"), AnalysisStatus.timeout),
        (BoxResult(timed_out=True, error="the sandbox did not finish"), AnalysisStatus.timeout),
        (_ended(reason="output"), AnalysisStatus.limit),
        (_ended(oom_kills=1, signal=9), AnalysisStatus.limit),
        (BoxResult(oom_killed=True, error="gone"), AnalysisStatus.limit),
        (_ended(signal=SIGXFSZ), AnalysisStatus.limit),
        # The format script's shell reports the formatter's signal as 128 + its number.
        (_ended(exit_code=128 + SIGXFSZ), AnalysisStatus.limit),
        (BoxResult(user_error="the compiled files take more than 2097152 bytes"), AnalysisStatus.limit),
        (BoxResult(error="the sandbox agent exited without a result"), AnalysisStatus.error),
    ],
)
def test_a_run_cut_short_is_a_status(result: BoxResult, status: AnalysisStatus) -> None:
    failure = _failure(result)
    assert failure is not None
    assert failure[0] is status


def test_a_run_that_ended_on_its_own_is_read_by_its_parser() -> None:
    # A crash (signal 6) or exit 2 is not a limit: the parser finds no JSON and calls it an error.
    assert _failure(_ended()) is None
    assert _failure(_ended(signal=6)) is None
    assert _failure(_ended(exit_code=2)) is None


def test_only_the_tools_own_files_come_back_formatted() -> None:
    sources = {"main.py": "x", "stubs.pyi": "y", "data.txt": "z", "pyproject.toml": "w"}
    assert own_sources("python", sources) == {"main.py": "x", "stubs.pyi": "y"}
    assert own_sources("c", sources) == {}
