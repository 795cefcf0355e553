"""Judge0's ids, names and statuses for the catalogue (shared/compat/judge0)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.compat.judge0.attributes import ALL_FIELDS, DEFAULT_FIELDS, STATUSES
from shared.compat.judge0.languages import JUDGE0_IDS, TABLE, display_name, find
from shared.compat.judge0.render import status_of
from shared.executions import CaseRecord, ExecutionRecord, ExecutionStatus, Limits, Phase, PhaseRecord, Verdict
from shared.languages import BY_KEY

LIMITS = Limits(wall_time_ms=1, cpu_time_ms=1, memory_mb=1, processes=1, output_bytes=1, file_size_kb=1)


def test_every_catalogue_version_has_an_id_and_ids_never_collide() -> None:
    assert set(JUDGE0_IDS.values()) == set(BY_KEY), "give every catalogue version a Judge0 id (append ours)"
    assert set(TABLE) == set(JUDGE0_IDS)
    # One listed id per version; ours start above Judge0's.
    listed = [entry.language.key for entry in TABLE.values() if entry.listed]
    assert sorted(listed) == sorted(BY_KEY)
    assert all(judge0_id >= 1000 for judge0_id in JUDGE0_IDS if judge0_id > 89)


def test_judge0s_ids_name_the_same_languages() -> None:
    expected = {71: "python", 63: "javascript", 54: "cpp", 62: "java", 50: "c", 60: "go", 73: "rust", 74: "typescript"}
    for judge0_id, language in expected.items():
        entry = find(judge0_id)
        assert entry is not None
        assert entry.language.id == language
    # The older GCC ids run the older GCC; Python 2 (70) is not offered.
    assert find(48) is not None
    assert find(48).language.key == "c@gcc-12"  # type: ignore[union-attr]
    assert find(70) is None


@pytest.mark.parametrize(
    ("key", "reported", "name"),
    [
        ("c@gcc-14", "14.2.0", "C (GCC 14.2.0)"),
        ("python@3.13", "3.13.5", "Python 3.13.5"),
        ("typescript@5.9", "5.9.3", "TypeScript 5.9.3 (Node.js 20)"),
        ("java@25", "25.0.1", "Java (OpenJDK 25.0.1)"),
        ("python@3.13", None, "Python 3.13"),
    ],
)
def test_names_carry_the_reported_version(key: str, reported: str | None, name: str) -> None:
    versions = {key: reported} if reported else {}
    assert display_name(BY_KEY[key], versions) == name


def _record(
    verdict: Verdict | None, status: ExecutionStatus, signal: int | None = None, code: int | None = None
) -> ExecutionRecord:
    now = datetime.now(UTC)
    run = PhaseRecord(
        phase=Phase.run,
        verdict=verdict or Verdict.ok,
        message=None,
        exceeded=None,
        exit_code=code,
        signal=signal,
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
    return ExecutionRecord(
        id=uuid.uuid4(),
        language="python",
        version=None,
        status=status,
        verdict=verdict,
        message=None,
        created_at=now,
        started_at=None,
        finished_at=None,
        limits=LIMITS,
        compile_limits=None,
        phases=[run] if status is ExecutionStatus.finished else [],
    )


@pytest.mark.parametrize(
    ("verdict", "status", "signal", "code", "judge0"),
    [
        (None, ExecutionStatus.queued, None, None, 1),
        (None, ExecutionStatus.running, None, None, 2),
        (Verdict.ok, ExecutionStatus.finished, None, 0, 3),
        (Verdict.time_limit, ExecutionStatus.finished, 9, None, 5),
        (Verdict.compilation_error, ExecutionStatus.finished, None, 1, 6),
        (Verdict.runtime_error, ExecutionStatus.finished, 11, None, 7),
        (Verdict.runtime_error, ExecutionStatus.finished, 25, None, 8),
        (Verdict.runtime_error, ExecutionStatus.finished, 8, None, 9),
        (Verdict.runtime_error, ExecutionStatus.finished, 6, None, 10),
        (Verdict.runtime_error, ExecutionStatus.finished, None, 2, 11),
        (Verdict.runtime_error, ExecutionStatus.finished, 15, None, 12),
        (Verdict.memory_limit, ExecutionStatus.finished, 9, None, 12),
        (Verdict.output_limit, ExecutionStatus.finished, 9, None, 8),
        (Verdict.internal_error, ExecutionStatus.finished, None, None, 13),
    ],
)
def test_statuses_map_as_judge0_would_report_them(
    verdict: Verdict | None, status: ExecutionStatus, signal: int | None, code: int | None, judge0: int
) -> None:
    assert status_of(_record(verdict, status, signal, code)) == judge0
    assert judge0 in STATUSES


def test_a_judged_case_decides_with_its_own_run() -> None:
    record = _record(Verdict.wrong_answer, ExecutionStatus.finished)
    now = datetime.now(UTC)
    record.tests = [
        CaseRecord(
            index=0,
            name=None,
            verdict=Verdict.wrong_answer,
            message=None,
            exceeded=None,
            exit_code=0,
            signal=None,
            stdout=b"4\n",
            stderr=b"",
            stdout_truncated=False,
            stderr_truncated=False,
            cpu_time_us=1,
            wall_time_us=1,
            memory_kb=1,
            started_at=now,
            finished_at=now,
        )
    ]
    assert status_of(record) == 4


def test_fields() -> None:
    assert len(ALL_FIELDS) == 34  # the 33 documented attributes and the language object
    assert set(DEFAULT_FIELDS) <= set(ALL_FIELDS)
    assert len(STATUSES) == 14
