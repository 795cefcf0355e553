"""Tool output into the API's diagnostics (shared/analysis/parsers.py). The fixtures are real:
ruff 0.17.6 run in the analysis image over tests/unit/fixtures/analysis/python/ copied to
/work/src, as the executor runs it (`ruff check --isolated --no-cache --exit-zero --output-format
json --target-version py313 -- src/main.py src/util.py src/broken.py src/messy.py`, and the
format script of shared/analysis/tools.py for messy.formatted.py; stored with .txt appended)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.analysis.model import AnalysisDiagnostic, TextEdit
from shared.analysis.parsers import (
    MAX_DIAGNOSTICS,
    MAX_MESSAGE_BYTES,
    SourceText,
    parse_formatted,
    parse_ruff_check,
    parse_shellcheck,
    truncate_utf8,
)

FIXTURES = Path(__file__).parent / "fixtures" / "analysis"
# Stored as .txt so that the repository's own ruff and mypy leave them alone (one does not parse).
SOURCES = {path.name.removesuffix(".txt"): path.read_text() for path in sorted((FIXTURES / "python").glob("*.py.txt"))}
RUFF_CHECK = (FIXTURES / "ruff-check.json").read_bytes()


def _apply(source: str, edits: list[TextEdit]) -> str:
    """Edits as an editor applies them: (line, UTF-16 column) positions into the document."""
    lines = source.split("\n")

    def offset(line: int, column: int) -> int:
        text = "\n".join(lines[: line - 1]) + ("\n" if line > 1 else "")
        units = lines[line - 1].encode("utf-16-le")[: (column - 1) * 2].decode("utf-16-le")
        return len(text) + len(units)

    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        source = source[:start] + edit.text + source[end:]
    return source


def _by_code(diagnostics: list[AnalysisDiagnostic], file: str, code: str) -> list[AnalysisDiagnostic]:
    return [d for d in diagnostics if d.file == file and d.code == code]


def test_ruff_output_becomes_diagnostics_of_the_submitted_files() -> None:
    found = parse_ruff_check(RUFF_CHECK, SOURCES)
    assert found is not None
    # Sandbox paths (/work/src/...) are the submitted names again; sorted by file and position.
    assert [(d.file, d.line, d.code) for d in found] == [
        ("broken.py", 1, "invalid-syntax"),
        ("broken.py", 1, "invalid-syntax"),
        ("main.py", 1, "F401"),
        ("main.py", 6, "F821"),
        ("main.py", 9, "F821"),
        ("util.py", 1, "I001"),
        ("util.py", 1, "F401"),
        ("util.py", 2, "UP035"),
        ("util.py", 2, "UP035"),
        ("util.py", 2, "F401"),
        ("util.py", 5, "UP006"),
        ("util.py", 8, "F841"),
    ]
    assert all(d.source == "ruff" and "/work" not in d.message for d in found)
    undefined = _by_code(found, "main.py", "F821")[1]
    assert (undefined.severity, undefined.message, undefined.fixes) == ("error", "Undefined name `undefined_too`", [])
    assert _by_code(found, "broken.py", "invalid-syntax")[0].severity == "error"
    assert _by_code(found, "util.py", "UP006")[0].severity == "warning"
    assert _by_code(found, "main.py", "F401")[0].url == "https://docs.astral.sh/ruff/rules/unused-import"


def test_columns_are_utf16_code_units_of_the_source() -> None:
    found = parse_ruff_check(RUFF_CHECK, SOURCES)
    assert found is not None
    first, second = _by_code(found, "main.py", "F821")
    # Line 6 is `    return f"héllo {name} ✓ 😀 " + undefined_name`: ruff counts characters (35);
    # é and ✓ are one UTF-16 unit each, 😀 two, so CodeMirror's column is 36.
    line6 = SOURCES["main.py"].split("\n")[5]
    assert line6.index("undefined_name") + 1 == 35
    assert (first.line, first.column, first.end_line, first.end_column) == (6, 36, 6, 50)
    assert line6.encode("utf-16-le")[(first.column - 1) * 2 : (first.end_column - 1) * 2].decode("utf-16-le") == (
        "undefined_name"
    )
    # Line 9: `x = "é€😀"; y = undefined_too`: character 16 is UTF-16 unit 17.
    assert (second.line, second.column, second.end_column) == (9, 17, 30)


def test_a_safe_fix_is_an_edit_that_removes_the_unused_import() -> None:
    found = parse_ruff_check(RUFF_CHECK, SOURCES)
    assert found is not None
    (unused,) = _by_code(found, "main.py", "F401")
    assert (unused.line, unused.column, unused.end_column, unused.severity) == (1, 8, 10, "warning")
    (fix,) = unused.fixes
    assert (fix.title, fix.applicability) == ("Remove unused import: `os`", "safe")
    assert [(e.file, e.line, e.column, e.end_line, e.end_column, e.text) for e in fix.edits] == [
        ("main.py", 1, 1, 2, 1, "")
    ]
    assert _apply(SOURCES["main.py"], fix.edits) == SOURCES["main.py"].removeprefix("import os\n")
    # ruff's unsafe fixes stay marked so: offered, never applied unasked.
    (unused_local,) = _by_code(found, "util.py", "F841")
    assert [f.applicability for f in unused_local.fixes] == ["unsafe"]


def test_files_nobody_submitted_are_dropped() -> None:
    items: list[dict[str, Any]] = json.loads(RUFF_CHECK)
    foreign = [
        {**items[2], "filename": "/etc/passwd"},
        {**items[2], "filename": "/work/src/../main.py"},
        {**items[2], "filename": "/work/src/other.py"},
        {**items[2], "filename": 7},
    ]
    found = parse_ruff_check(json.dumps(foreign + items[2:3]).encode(), {"main.py": SOURCES["main.py"]})
    assert found is not None
    assert [(d.file, d.code) for d in found] == [("main.py", "F401")]
    # Edits naming the diagnostic's own file only: each edit carries the diagnostic's file.
    assert {e.file for d in found for f in d.fixes for e in f.edits} == {"main.py"}


def test_output_other_than_ruffs_json_list_is_a_failure_not_diagnostics() -> None:
    assert parse_ruff_check(b"", SOURCES) is None
    assert parse_ruff_check(b"thread 'main' has overflowed its stack", SOURCES) is None
    assert parse_ruff_check(b'{"code": "F401"}', SOURCES) is None
    assert parse_ruff_check(b"[" * 100_000, SOURCES) is None
    assert parse_ruff_check(b"[]", SOURCES) == []
    # Items of the wrong shape are skipped, the rest kept.
    items = json.loads(RUFF_CHECK)
    mixed = [1, "x", None, {"filename": "/work/src/main.py"}, {**items[2], "location": {"row": "1", "column": 1}}]
    found = parse_ruff_check(json.dumps([*mixed, items[2]]).encode(), SOURCES)
    assert found is not None
    assert [d.code for d in found] == ["F401"]


def _diagnostic(**fields: Any) -> dict[str, Any]:
    return {
        "cell": None,
        "code": "F821",
        "filename": "/work/src/main.py",
        "location": {"row": 1, "column": 1},
        "end_location": {"row": 1, "column": 2},
        "message": "Undefined name `x`",
        "fix": None,
        "url": None,
        **fields,
    }


def test_positions_are_clamped_into_the_document() -> None:
    source = {"main.py": "ab\ncd😀\n"}
    items = [
        _diagnostic(location={"row": 0, "column": -5}, end_location={"row": 0, "column": 0}),
        _diagnostic(location={"row": 2, "column": 99}, end_location={"row": 99_999_999, "column": 1}),
        _diagnostic(location={"row": 2, "column": 3}, end_location={"row": 1, "column": 1}),
    ]
    found = parse_ruff_check(json.dumps(items).encode(), source)
    assert found is not None
    assert [(d.line, d.column, d.end_line, d.end_column) for d in found] == [
        # Before the start: the start.
        (1, 1, 1, 1),
        # An end before the start: an empty range at the start.
        (2, 3, 2, 3),
        # Line 2 is "cd😀" (4 UTF-16 units): at most column 5; past the last line, the end of the last.
        (2, 5, 3, 1),
    ]
    text = SourceText("x\r\ny\rz")
    assert text.lines == ["x", "y", "z"]
    assert text.position(3, 2) == (3, 2)
    assert text.position(True, 1) is None


def test_caps_on_count_message_and_fixes() -> None:
    long = "é" * 4000
    edit = {"content": "", "location": {"row": 1, "column": 1}, "end_location": {"row": 1, "column": 2}}
    items = [
        _diagnostic(
            message=long,
            code="X" * 100,
            url="javascript:alert(1)",
            fix={"applicability": "safe", "message": "t", "edits": [edit] * 21},
        )
    ] + [_diagnostic(location={"row": 1, "column": 1 + i % 3}) for i in range(500)]
    found = parse_ruff_check(json.dumps(items).encode(), {"main.py": "abc\n"})
    assert found is not None
    assert len(found) == MAX_DIAGNOSTICS
    capped = next(d for d in found if d.message.startswith("é"))
    assert len(capped.message.encode()) <= MAX_MESSAGE_BYTES
    assert capped.message.endswith("…")
    # An unreadable code or a non-https URL is dropped; a fix with too many edits is not offered.
    assert (capped.code, capped.url, capped.fixes) == (None, None, [])
    display_only = _diagnostic(fix={"applicability": "display-only", "message": "t", "edits": [edit]})
    half = _diagnostic(fix={"applicability": "safe", "message": "t", "edits": [edit, {"content": 1}]})
    found = parse_ruff_check(json.dumps([display_only, half]).encode(), {"main.py": "abc\n"})
    assert found is not None
    assert [d.fixes for d in found] == [[], []]


def test_sandbox_paths_are_stripped_from_messages() -> None:
    item = _diagnostic(message="cannot read /work/src/lib/x.py\x00 here")
    found = parse_ruff_check(json.dumps([item]).encode(), {"main.py": "x\n"})
    assert found is not None
    assert found[0].message == "cannot read lib/x.py here"


def test_truncate_keeps_whole_characters() -> None:
    assert truncate_utf8("abc", 10) == "abc"
    assert truncate_utf8("😀" * 10, 10) == "😀…"


def test_formatted_files_come_back_by_their_submitted_names() -> None:
    formatted = (FIXTURES / "messy.formatted.py.txt").read_bytes()
    collected = [
        ("src/messy.py", formatted),
        ("src/main.py", SOURCES["main.py"].encode()),
        ("src/broken.py", SOURCES["broken.py"].encode()),
        # Not submitted, or not text: dropped.
        ("src/.ruff_cache/x", b"junk"),
        ("src/util.py", b"\xff\xfe"),
        ("elsewhere/messy.py", b"x"),
    ]
    out = parse_formatted(collected, SOURCES)
    assert [(f.name, f.changed) for f in out] == [("broken.py", False), ("main.py", False), ("messy.py", True)]
    assert out[2].content == 'x = {"a": 1}\n\n\ndef f(a, b):\n    return a + b\n'


# shellcheck 0.10.0 (Debian trixie's, in the analysis image) over fixtures/analysis/bash/ copied
# to /work/src: `shellcheck --format json1 --norc --shell bash -- src/main.sh src/lib.sh`.
BASH = {path.name: path.read_text() for path in sorted((FIXTURES / "bash").glob("*.sh"))}
SHELLCHECK = (FIXTURES / "shellcheck.json").read_bytes()


def test_shellcheck_comments_become_diagnostics() -> None:
    found = parse_shellcheck(SHELLCHECK, BASH)
    assert found is not None
    assert [(d.file, d.line, d.column, d.end_column, d.severity, d.code) for d in found] == [
        ("lib.sh", 1, 10, 15, "error", "SC2045"),
        ("lib.sh", 2, 6, 8, "info", "SC2086"),
        ("main.sh", 2, 6, 8, "info", "SC2086"),
        # A tab counts one column, as in the editor.
        ("main.sh", 3, 2, 9, "warning", "SC2164"),
        # shellcheck's "style" is the editor's "hint".
        ("main.sh", 4, 4, 9, "hint", "SC2006"),
        ("main.sh", 4, 4, 9, "warning", "SC2046"),
        ("main.sh", 5, 1, 2, "warning", "SC2034"),
        # `x=😀; echo "é" $y`: character 15 is UTF-16 unit 16.
        ("main.sh", 5, 16, 18, "info", "SC2086"),
        ("main.sh", 5, 16, 18, "warning", "SC2154"),
    ]
    assert all(d.source == "shellcheck" and d.url == f"https://www.shellcheck.net/wiki/{d.code}" for d in found)


def test_shellcheck_fixes_are_edits_offered_as_unsafe() -> None:
    found = parse_shellcheck(SHELLCHECK, BASH)
    assert found is not None
    quote = next(d for d in found if d.file == "main.sh" and d.line == 2)
    (fix,) = quote.fixes
    assert fix.applicability == "unsafe"
    assert _apply(BASH["main.sh"], fix.edits).split("\n")[1] == 'echo "$1"'
    cd = next(d for d in found if d.code == "SC2164")
    assert _apply(BASH["main.sh"], cd.fixes[0].edits).split("\n")[2] == "\tcd /tmp || exit"
    late = next(d for d in found if d.line == 5 and d.code == "SC2086")
    assert _apply(BASH["main.sh"], late.fixes[0].edits).split("\n")[4] == 'x=😀; echo "é" "$y"'
    assert parse_shellcheck(b'{"comments": 3}', BASH) is None
    assert parse_shellcheck(b"[]", BASH) is None
    foreign = json.loads(SHELLCHECK)
    for comment in foreign["comments"]:
        comment["file"] = "/etc/profile"
    assert parse_shellcheck(json.dumps(foreign).encode(), BASH) == []
