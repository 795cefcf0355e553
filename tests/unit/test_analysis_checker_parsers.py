"""The compilers' and mypy's reports into the API's diagnostics (shared/analysis/compiler_parsers.py,
checker_parsers.py). The fixtures are real: each tool run in its image (gcc 14.2 and 12.2 in
trixie-gcc and gcc, clang 19.1.7, tsc 7.0.2 and 5.9.3 in trixie-node, go 1.24.4 and 1.19.8, mypy
1.15.0 in the analysis image) with exactly the argv shared/analysis/tools.plan() builds, over the
files in tests/unit/fixtures/analysis/{c,cpp,ts,go-types,go-vet,mypy}/ copied to /work/src, as
uid 65534 without network; stored as the stream the executor parses (stderr for the compilers and
go vet, stdout for tsc and mypy)."""

from __future__ import annotations

from pathlib import Path

from shared.analysis.checker_parsers import parse_go_vet, parse_mypy
from shared.analysis.compiler_parsers import parse_gcc, parse_tsc
from shared.analysis.model import AnalysisDiagnostic
from shared.analysis.parsers import MAX_DIAGNOSTICS, MAX_MESSAGE_BYTES

FIXTURES = Path(__file__).parent / "fixtures" / "analysis"


def _sources(folder: str) -> dict[str, str]:
    return {path.name.removesuffix(".txt"): path.read_text() for path in sorted((FIXTURES / folder).glob("*.txt"))}


def _output(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


Span = tuple[str, int, int, int, int]


def _span(diagnostic: AnalysisDiagnostic) -> Span:
    d = diagnostic
    return d.file, d.line, d.column, d.end_line, d.end_column


def _found(diagnostics: list[AnalysisDiagnostic] | None) -> list[tuple[Span, str, str | None]]:
    assert diagnostics is not None
    return [(_span(d), d.severity, d.code) for d in diagnostics]


def test_gcc_byte_columns_become_utf16_with_fixits() -> None:
    for recorded in ("gcc-14.txt", "gcc-12.txt"):
        found = parse_gcc(_output(recorded), _sources("c"))
        # main.c line 5 is `\tconst char *s = "é😀"; int unused;`: gcc's byte 32 is UTF-16 unit 29
        # (é is two bytes and one unit, 😀 four bytes and two units); the end is the word's.
        assert _found(found) == [
            (("main.c", 5, 29, 5, 35), "warning", "-Wunused-variable"),
            (("main.c", 6, 11, 6, 12), "warning", "-Wformat="),
            (("main.c", 6, 19, 6, 19), "error", None),
            (("util.h", 1, 36, 1, 37), "error", None),
        ]
        assert found is not None
        unused, fmt, missing, header = found
        assert unused.message == "unused variable ‘unused’"
        assert (unused.source, unused.fixes) == ("gcc", [])
        (fix,) = fmt.fixes
        assert fix.applicability == "unsafe"
        assert fix.title == "Replace with “%s”"
        assert [(e.line, e.column, e.end_line, e.end_column, e.text) for e in fix.edits] == [(6, 10, 6, 12, "%s")]
        assert missing.fixes[0].title == "Insert “;”"
        # A header's diagnostics are the header's own (it was submitted).
        assert header.message == "expected ‘;’ before ‘}’ token"
        assert header.fixes[0].edits[0].file == "util.h"


def test_clang_ranges_and_fixits() -> None:
    found = parse_gcc(_output("clang-19.txt"), _sources("c"), "clang")
    # The source excerpts clang prints ("    6 |   printf(...") are never read as diagnostics.
    assert _found(found) == [
        (("main.c", 6, 17, 6, 18), "warning", "-Wformat"),
        (("main.c", 6, 19, 6, 19), "error", None),
        (("main.c", 7, 16, 7, 26), "error", None),
        (("util.h", 1, 36, 1, 37), "error", None),
    ]
    assert found is not None
    assert all(d.source == "clang" for d in found)
    assert found[0].fixes[0].edits[0].text == "%s"
    assert found[2].message == "use of undeclared identifier 'undeclared'"


def test_errors_inside_system_headers_are_placed_at_the_line_that_caused_them() -> None:
    sources = _sources("cpp")
    gxx = parse_gcc(_output("gxx-14.txt"), sources, "g++")
    # `std::sort(m.begin(), m.end())` on a map fails inside <bits/stl_algo.h>: gcc's
    # `required from here` names line 11; the notes about candidates there are dropped.
    assert _found(gxx) == [
        (("main.cpp", 8, 37, 8, 38), "warning", "-Wunused-variable"),
        (("main.cpp", 8, 52, 8, 53), "warning", "-Wunused-variable"),
        (("main.cpp", 8, 56, 8, 57), "error", "-fpermissive"),
        (("main.cpp", 9, 23, 9, 24), "warning", "-Wsign-compare"),
        (("main.cpp", 11, 14, 11, 15), "error", None),
        (("main.cpp", 12, 5, 12, 11), "error", None),
    ]
    assert gxx is not None
    assert gxx[4].message.startswith("no match for ‘operator-’ in ‘__last - __first’")
    assert gxx[4].message.endswith("(in /usr/include/c++/14/bits/stl_algo.h)")
    # clang says it with a note after the error; its two errors there are one message, kept once.
    clang = parse_gcc(_output("clangxx-19.txt"), sources, "clang++")
    assert clang is not None
    placed = [d for d in clang if d.message.startswith("invalid operands to binary expression")]
    assert [(_span(d), d.severity) for d in placed] == [(("main.cpp", 11, 10, 11, 14), "error")]
    assert all("/usr/lib/gcc" not in d.file for d in clang)


def test_an_included_file_outside_the_submission_is_reported_at_its_include() -> None:
    sources = {"main.c": '#include "/proc/self/environ"\nint main(void) { return 0; }\n'}
    output = (
        b"In file included from ./src/main.c:1:\n"
        b"/proc/self/environ:1:1: error: unknown type name \xe2\x80\x98PATH\xe2\x80\x99\n"
        b"/proc/self/environ:1:40: error: stray \xe2\x80\x98\\0\xe2\x80\x99 in program\n"
    )
    found = parse_gcc(output, sources)
    assert found is not None
    assert [(_span(d), d.severity) for d in found] == [
        (("main.c", 1, 1, 1, 30), "error"),
        (("main.c", 1, 1, 1, 30), "error"),
    ]
    assert found[0].message == "unknown type name ‘PATH’ (in /proc/self/environ)"


def test_compiler_output_is_untrusted() -> None:
    sources = {"main.c": "int x;\n😀 y;\n"}
    hostile = (
        # Files nobody submitted, and names outside src/, are dropped.
        b"/etc/passwd:1:1: error: root:x:0:0\n"
        b"main.c:1:1: error: not under src/\n"
        b"./src/other.c:1:1: error: not submitted\n"
        # Positions are clamped into the file; a column inside a character stops before it.
        b"./src/main.c:99:99: warning: past the end [-Wextra]\n"
        b"./src/main.c:2:3: error: inside the emoji\n"
        # A fix-it naming another file spoils the whole fix; NUL and invalid UTF-8 do not raise.
        b"./src/main.c:1:5: error: \x00\xff" + b"m" * 5000 + b"\n"
        b'fix-it:"./src/main.c":{1:5-1:6}:"\\303\\251"\n'
        b'fix-it:"/etc/passwd":{1:1-1:1}:"x"\n'
        b"./src/main.c:1:1: note: \xe2\x80\x98\n"
    )
    found = parse_gcc(hostile, sources)
    assert found is not None
    assert [(_span(d), d.severity) for d in found] == [
        (("main.c", 1, 1, 1, 4), "info"),
        (("main.c", 1, 5, 1, 6), "error"),
        (("main.c", 2, 1, 2, 3), "error"),
        # (The file ends with a line break: its last line is the empty one after it.)
        (("main.c", 3, 1, 3, 1), "warning"),
    ]
    capped = found[1]
    assert len(capped.message.encode()) <= MAX_MESSAGE_BYTES
    assert "\x00" not in capped.message
    assert capped.fixes == []
    # Octal escapes are bytes of UTF-8 (gcc and clang print non-ASCII so).
    one = parse_gcc(b'./src/main.c:1:5: error: x\nfix-it:"./src/main.c":{1:5-1:6}:"\\303\\251"\n', sources)
    assert one is not None
    assert one[0].fixes[0].edits[0].text == "é"
    # A flood stops at the cap; what is not the compiler's output at all is a failure.
    flood = b"".join(b"./src/main.c:1:%d: warning: w%d [-Wunused]\n" % (i % 5 + 1, i) for i in range(5000))
    assert len(parse_gcc(flood, sources) or []) == MAX_DIAGNOSTICS
    assert parse_gcc(b"gcc: error: unrecognized command-line option '-fnope'\n", sources) is None
    assert parse_gcc(b"", sources) == []


def test_tsc_counts_utf16_already() -> None:
    for recorded in ("tsc-7.0.txt", "tsc-5.9.txt"):
        found = parse_tsc(_output(recorded), _sources("ts"))
        # `const mark = "😀"; let n: number = "five";`: tsc's column 24 is `n` in UTF-16 units.
        assert _found(found) == [
            (("main.ts", 1, 24, 1, 25), "error", "TS2322"),
            (("main.ts", 3, 34, 3, 37), "error", "TS2339"),
            (("main.ts", 5, 22, 5, 23), "error", "TS2353"),
        ]
        assert found is not None
        assert found[0].message == "Type 'string' is not assignable to type 'number'."
        assert found[0].source == "tsc"
    javascript = parse_tsc(_output("tsc-js.txt"), _sources("ts"))
    # require("fs") is no error (every module is `any` for JavaScript: no @types/node).
    assert _found(javascript) == [(("app.js", 2, 3, 2, 14), "error", "TS2339")]


def test_tsc_output_is_untrusted() -> None:
    sources = {"main.ts": "let a = 1;\n"}
    output = (
        b"crh-node-globals.d.ts(1,1): error TS1000: the platform's own file\n"
        b"src/main.ts(9,99): error TS2322: clamped\n"
        b"  Type 'x' is not assignable.\n"
        b"src/main.ts(1,5): warning TS6133: 'a' is declared but never read.\n"
    )
    found = parse_tsc(output, sources)
    assert found is not None
    assert [(_span(d), d.severity, d.message) for d in found] == [
        (("main.ts", 1, 5, 1, 6), "warning", "'a' is declared but never read."),
        (("main.ts", 2, 1, 2, 1), "error", "clamped\nType 'x' is not assignable."),
    ]
    # An error of no file is about tsc's options or inputs: the tool failed.
    assert parse_tsc(b"error TS5023: Unknown compiler option '--nope'.\n", sources) is None
    assert parse_tsc(b"", sources) == []


def test_go_type_errors_come_once_each() -> None:
    for recorded in ("go-types-1.24.txt", "go-types-1.19.txt"):
        found = parse_go_vet(_output(recorded), _sources("go-types"))
        # vet stops at its first type error; the compiler lists all of them (that one too).
        assert _found(found) == [
            (("main.go", 5, 2, 5, 3), "error", None),
            (("main.go", 9, 18, 9, 24), "error", None),
            (("main.go", 10, 14, 10, 15), "error", None),
            (("main.go", 11, 9, 11, 10), "error", None),
        ]
        assert found is not None
        assert found[3].message == "too many return values\nhave (number)\nwant ()"
        assert found[0].source == "go vet"


def test_go_vet_findings_and_suggested_fixes() -> None:
    found = parse_go_vet(_output("go-vet-1.24.txt"), _sources("go-vet"))
    assert _found(found) == [
        (("main.go", 6, 14, 6, 17), "warning", "printf"),
        (("main.go", 8, 31, 8, 37), "warning", "stringintconv"),
    ]
    assert found is not None
    (fix,) = found[1].fixes
    assert fix.title == "Format the number as a decimal"
    # Byte offsets 119..125 of the file: `string` in `string(x)` on line 8.
    assert [(e.line, e.column, e.end_line, e.end_column, e.text) for e in fix.edits] == [(8, 31, 8, 37, "fmt.Sprint")]
    older = parse_go_vet(_output("go-vet-1.19.txt"), _sources("go-vet"))
    assert [d.code for d in older or []] == ["printf", "stringintconv"]


def test_go_output_is_untrusted() -> None:
    sources = {"main.go": "package main\n"}
    assert parse_go_vet(b"# command-line-arguments\n{}\n", sources) == []
    assert parse_go_vet(b"named files must all be in one directory; have ./src/ and ./src/pkg/\n", sources) is None
    broken = b'{\n\t"p": {"printf": [{"posn": "/etc/passwd:1:1", "message": "x"}, 7, {"posn": 1}]},\n}\n'
    assert parse_go_vet(broken, sources) == []
    foreign = b'{\n"p": {"printf": [{"posn": "/work/src/main.go:1:1", "message": "m", "suggested_fixes": [{"edits": [{"filename": "/etc/passwd", "start": 0, "end": 1, "new": "x"}]}]}]}\n}\n'  # noqa: E501
    found = parse_go_vet(foreign, sources)
    assert found is not None
    assert [(d.code, d.fixes) for d in found] == [("printf", [])]


def test_mypy_counts_bytes_from_zero() -> None:
    found = parse_mypy(_output("mypy.json"), _sources("mypy"))
    # `mark = "😀"; count: int = "three"`: mypy's 0-based byte 28 is UTF-16 column 27.
    assert _found(found) == [
        (("main.py", 2, 27, 2, 28), "error", "assignment"),
        (("main.py", 4, 9, 4, 10), "error", "return-value"),
        (("main.py", 5, 7, 5, 21), "error", "name-defined"),
        (("main.py", 5, 29, 5, 30), "error", "arg-type"),
        (("main.py", 6, 13, 6, 14), "info", "misc"),
    ]
    assert found is not None
    assert found[2].message == 'Name "undefined_name" is not defined'
    assert found[0].source == "mypy"


def test_mypy_output_is_untrusted() -> None:
    sources = {"main.py": "x = 1\n"}
    output = (
        b'{"file": "/usr/lib/python3/dist-packages/mypy/typeshed/stdlib/builtins.pyi", "line": 1, "column": 0, '
        b'"message": "m", "hint": null, "code": "misc", "severity": "error"}\n'
        b'{"file": "src/main.py", "line": 1, "column": 0, "message": "kept", "hint": "see below", '
        b'"code": "a b", "severity": "note"}\n'
        b'{"file": "src/main.py", "line": 1, "column": "0", "message": "m", "severity": "error"}\n'
        b"[1, 2]\nnot json\n"
    )
    found = parse_mypy(output, sources)
    assert found is not None
    assert [(_span(d), d.severity, d.code, d.message) for d in found] == [
        (("main.py", 1, 1, 1, 2), "info", None, "kept\nsee below")
    ]
    assert parse_mypy(b"Traceback (most recent call last):\n  ...\n", sources) is None
    assert parse_mypy(b"", sources) == []


def test_past_the_cap_errors_come_first_then_the_first_lines() -> None:
    # gcc lists a function's unused variables last one first.
    sources = {"main.c": "int v;\n" * 1_000}
    flood = b"".join(
        b"./src/main.c:%d:5: warning: unused variable [-Wunused-variable]\n" % n for n in range(1_000, 0, -1)
    )
    found = parse_gcc(flood + b"./src/main.c:999:1: error: late\n", sources)
    assert found is not None
    assert len(found) == MAX_DIAGNOSTICS
    assert [d.line for d in found if d.severity == "warning"] == list(range(1, MAX_DIAGNOSTICS))
    assert [(d.line, d.message) for d in found if d.severity == "error"] == [(999, "late")]
