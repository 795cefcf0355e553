"""The `metrics` check (shared/analysis/metrics.py, tools.py): lizard's output into CodeMetrics, and
how it runs. The fixture is real: the metrics run of tools.py (METRICS_SCRIPT, lizard 1.24.3) in
the analysis image over tests/unit/fixtures/analysis/metrics/ copied to /work/src (each file's
name there is the fixture's without its last `.txt`), as the executor runs it:
`/opt/crh/analysis/bin/python -I -c METRICS_SCRIPT -- src/main.py src/notes.txt src/run.sh src/util.c`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.gateway.analyses.service import analysis_key
from shared.analysis.metrics import count_lines, count_nonblank_lines, parse_lizard
from shared.analysis.model import AnalysisFile, AnalysisRequest, ToolVersion
from shared.analysis.tools import LIZARD, MAX_FUNCTIONS, METRICS_SCRIPT, RUFF, plan, tools_for
from shared.languages import BY_KEY

FIXTURES = Path(__file__).parent / "fixtures" / "analysis"
SOURCES = {path.name.removesuffix(".txt"): path.read_text() for path in sorted((FIXTURES / "metrics").glob("*.txt"))}
LIZARD_OUTPUT = (FIXTURES / "lizard.json").read_bytes()


def test_lizard_output_becomes_the_metrics_of_every_submitted_file() -> None:
    metrics = parse_lizard(LIZARD_OUTPUT, SOURCES)
    assert metrics is not None
    assert [(f.file, f.name, f.line, f.ccn, f.nloc, f.params) for f in metrics.functions] == [
        # Three ifs: 1 + 3.
        ("main.py", "classify", 6, 4, 8, 1),
        ("main.py", "hello", 17, 2, 3, 3),
        ("util.c", "max", 4, 2, 1, 2),
        # A for, an if and an &&.
        ("util.c", "main", 6, 4, 6, 0),
    ]
    assert (metrics.function_count, metrics.ccn_max, metrics.ccn_avg) == (4, 4, 3.0)
    # lizard reads Python and C; the shell script and the notes it has no reader for.
    assert metrics.measured_files == ["main.py", "util.c"]
    assert metrics.lines == 22 + 4 + 4 + 11
    # lizard's NLOC for its files (14 + 8), non-blank lines for the others (3 + 2).
    assert metrics.code_lines == 14 + 8 + 3 + 2


def test_line_counts() -> None:
    texts = ("", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "a\rb")
    assert [count_lines(text) for text in texts] == [0, 1, 1, 2, 2, 2, 2]
    assert count_nonblank_lines("alpha\n\n  \t\nbeta") == 2


def test_a_language_lizard_does_not_read_gets_line_counts_only() -> None:
    empty = json.dumps({"files": [], "functions": [], "count": 0, "ccn_sum": 0, "ccn_max": 0}).encode()
    metrics = parse_lizard(empty, {"main.sh": "#!/bin/sh\n\necho hi\n"})
    assert metrics is not None
    assert (metrics.lines, metrics.code_lines, metrics.measured_files) == (3, 2, [])
    assert (metrics.function_count, metrics.functions, metrics.ccn_max, metrics.ccn_avg) == (0, [], None, None)


def _document(**changes: Any) -> bytes:
    document = json.loads(LIZARD_OUTPUT)
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "output",
    [
        b"",
        b"Traceback (most recent call last):\n",
        b"[]",
        b'{"files": []}',
        _document(count="4"),
        _document(count=True),
        _document(ccn_max=-1),
        _document(count=10**12),
        _document(functions={}),
        b"[" * 100_000,
    ],
)
def test_output_that_is_not_the_scripts_is_a_failure(output: bytes) -> None:
    assert parse_lizard(output, SOURCES) is None


def test_what_the_sandbox_says_is_checked() -> None:
    hostile = _document(
        files=[
            {"file": "/work/src/main.py", "nloc": 10**6},
            {"file": "/etc/passwd", "nloc": 3},
            {"file": "src/util.c", "nloc": "8"},
            "junk",
        ],
        functions=[
            {"file": "src/main.py", "name": "x" * 5000, "line": 10**6, "ccn": 3, "nloc": 1, "params": 0},
            {"file": "src/main.py", "name": "/work/src/evil\x00", "line": 2, "ccn": 2, "nloc": 1, "params": 0},
            {"file": "src/main.py", "name": "zero", "line": 0, "ccn": 1, "nloc": 1, "params": 0},
            {"file": "src/main.py", "name": "no_ccn", "line": 3, "ccn": 0, "nloc": 1, "params": 0},
            {"file": "src/util.c", "name": "not_measured", "line": 3, "ccn": 9, "nloc": 1, "params": 0},
            {"file": "/etc/passwd", "name": "root", "line": 1, "ccn": 9, "nloc": 1, "params": 0},
            {"file": "src/main.py", "name": 7, "line": 1, "ccn": 9, "nloc": 1, "params": 0},
        ],
        count=0,
        ccn_sum=0,
        ccn_max=0,
    )
    metrics = parse_lizard(hostile, SOURCES)
    assert metrics is not None
    # Only main.py's entry stands, its NLOC clamped to its 22 lines; util.c's NLOC was no int, so
    # its non-blank lines count (9), as the shell script's (3) and the notes' (2).
    assert metrics.measured_files == ["main.py"]
    assert metrics.code_lines == 22 + 9 + 3 + 2
    assert [(f.name[:6], f.line, f.ccn) for f in metrics.functions] == [("evil", 2, 2), ("xxxxxx", 22, 3)]
    assert len(metrics.functions[1].name.encode()) <= 200
    # Totals never below what is listed.
    assert (metrics.function_count, metrics.ccn_max, metrics.ccn_avg) == (2, 3, 2.5)


def test_the_list_is_capped_and_the_totals_are_the_scripts() -> None:
    many = [
        {"file": "src/main.py", "name": f"f{i}", "line": 1 + i % 20, "ccn": 1, "nloc": 1, "params": 0}
        for i in range(MAX_FUNCTIONS + 50)
    ]
    metrics = parse_lizard(_document(functions=many, count=20_000, ccn_sum=30_000, ccn_max=12), SOURCES)
    assert metrics is not None
    assert len(metrics.functions) == MAX_FUNCTIONS
    assert (metrics.function_count, metrics.ccn_max, metrics.ccn_avg) == (20_000, 12, 1.5)


def test_metrics_run_for_every_language_after_double_dash() -> None:
    names = ["main.py", "-x.c", "pkg/--fix.go", "notes.txt"]
    metrics, lint = plan("python", "3.13", ["lint", "metrics"], names)
    assert (metrics.tool, metrics.check, metrics.parser, metrics.collect) == (LIZARD, "metrics", "lizard", ())
    assert metrics.argv[:4] == ("/opt/crh/analysis/bin/python", "-I", "-c", METRICS_SCRIPT)
    # Every submitted file (the script skips those lizard has no reader for), never as an option.
    assert list(metrics.argv[4:]) == ["--", "src/main.py", "src/-x.c", "src/pkg/--fix.go", "src/notes.txt"]
    assert not any(name in METRICS_SCRIPT for name in names)
    assert lint.tool == RUFF
    # A language without analysers still has metrics; its lint alone is still unsupported.
    (only,) = plan("rust", "1.85", ["lint", "metrics"], ["main.rs"])
    assert only.tool == LIZARD
    assert tools_for("rust", ["metrics"]) == [LIZARD]
    assert tools_for("rust", ["lint"]) == []
    assert tools_for("python", ["metrics", "lint"]) == [LIZARD, RUFF]


def test_the_metrics_check_is_requested_like_the_others() -> None:
    request = AnalysisRequest.model_validate(
        {"language": "go", "files": [{"name": "main.go", "content": ""}], "checks": ["lint", "format", "metrics"]}
    )
    assert request.checks == ["lint", "format", "metrics"]
    python = BY_KEY["python@3.13"]
    files = [AnalysisFile(name="main.py", content="def f(): pass\n")]
    lizard = [ToolVersion(name="lizard", version="1.24.3")]
    assert analysis_key(python, ["metrics"], lizard, False, files) != analysis_key(
        python, ["metrics"], [ToolVersion(name="lizard", version="1.24.4")], False, files
    )
