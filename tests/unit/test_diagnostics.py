"""The compile phase's output parsed into diagnostics (shared/diagnostics.py). The fixtures are
real outputs, recorded by running each compiler of the catalogue in its runtime image on a file
with an error at a known place (paths as the sandbox prints them, under /work)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.diagnostics import MAX_DIAGNOSTICS, MAX_MESSAGE, Diagnostic, parse

FIXTURES = Path(__file__).parent / "fixtures" / "diagnostics"

# fixture -> (file, line, column, severity, code, start of the message) for each diagnostic, in order.
Expected = tuple[str, int, int | None, str, str | None, str]
EXPECTED: dict[str, list[Expected]] = {
    "c": [
        ("main.c", 3, 13, "error", None, "‘y’ undeclared"),
        ("main.c", 3, 13, "note", None, "each undeclared identifier"),
        ("main.c", 4, 13, "error", None, "expected ‘;’ before ‘}’"),
        ("main.c", 3, 9, "warning", "-Wunused-variable", "unused variable ‘x’"),
    ],
    "c_clang": [
        ("main.c", 3, 13, "error", None, "use of undeclared identifier 'y'"),
        ("main.c", 4, 13, "error", None, "expected ';' after return"),
    ],
    "tcc": [("main.c", 2, None, "error", None, "'y' undeclared")],
    "cpp": [
        ("main.cpp", 3, 21, "error", None, "conversion from ‘int’"),
        ("main.cpp", 4, 9, "warning", "-Wunused-variable", "unused variable ‘unused’"),
    ],
    "objc": [
        ("main.m", 2, 13, "error", None, "‘y’ undeclared"),
        ("main.m", 2, 13, "note", None, "each undeclared"),
    ],
    "fortran": [("main.f90", 3, 3, "error", None, "Symbol ‘x’ at (1) has no IMPLICIT type")],
    "go": [("main.go", 4, 2, "error", None, "undefined: fmt"), ("main.go", 4, 14, "error", None, "undefined: x")],
    "go119": [("main.go", 4, 2, "error", None, "undefined: fmt"), ("main.go", 4, 14, "error", None, "undefined: x")],
    "rust": [
        ("main.rs", 3, 13, "error", "E0425", "cannot find value `z`"),
        ("main.rs", 2, 18, "error", "E0308", "mismatched types"),
    ],
    "rust163": [
        ("main.rs", 3, 13, "error", "E0425", "cannot find value `z`"),
        ("main.rs", 2, 18, "error", "E0308", "mismatched types"),
    ],
    "java": [("Main.java", 3, 17, "error", None, "incompatible types: String cannot be converted to int")],
    "scala": [("Main.scala", 3, 18, "error", None, "type mismatch;")],
    "kotlin": [
        ("main.kt", 2, 18, "error", None, "type mismatch: inferred type is String"),
        ("main.kt", 3, 13, "error", None, "unresolved reference: y"),
    ],
    "typescript": [("main.ts", 3, 9, "error", "TS2322", "Type 'number' is not assignable to type 'string'.")],
    "csharp": [("main.cs", 3, 17, "error", "CS0029", "Cannot implicitly convert type `string' to `int'")],
    "pascal": [("main.pas", 3, 3, "error", None, 'Identifier not found "x"')],
    "haskell": [("main.hs", 3, 15, "error", "GHC-39999", "No instance for ‘Num String’")],
    "d_ldc": [("main.d", 2, None, "error", None, "cannot implicitly convert expression")],
    "d_gdc": [("main.d", 2, 13, "error", None, "cannot implicitly convert expression")],
    "swift": [("main.swift", 2, 17, "error", None, "cannot convert value of type 'Int'")],
    "nim": [("main.nim", 2, 14, "error", None, "type mismatch: got 'string'")],
    "ocaml": [("main.ml", 2, 17, "error", None, 'This constant has type "string"')],
    "crystal": [("main.cr", 2, 6, "error", None, "undefined local variable or method 'y'")],
    "vala": [("main.vala", 2, 9, "error", None, "Assignment: Cannot convert from `string' to `int'")],
    "ada": [("main.adb", 3, 4, "error", None, '"X" is undefined')],
    "erlang": [("main.erl", 3, 11, "error", None, "variable 'X' is unbound")],
    "cobol": [
        ("main.cob", 4, None, "error", None, "syntax error, unexpected Literal"),
        ("main.cob", 4, None, "note", None, "unknown statement 'DISPLA'"),
    ],
    "nasm": [("main.asm", 3, None, "error", None, "parser: instruction expected")],
}
SUBMITTED = {"java": ["Main.java"], "scala": ["Main.scala"]}


def test_every_fixture_has_its_expectation() -> None:
    assert {path.stem for path in FIXTURES.glob("*.txt")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    output = (FIXTURES / f"{name}.txt").read_text()
    expected = EXPECTED[name]
    files = SUBMITTED.get(name, sorted({e[0] for e in expected}))
    found = parse(output, files)
    assert [(d.file, d.line, d.column, d.severity, d.code) for d in found] == [e[:5] for e in expected]
    for diagnostic, (*_, message) in zip(found, expected, strict=True):
        assert diagnostic.message.startswith(message), diagnostic.message
    # Without the list of files, relative paths in the work directory are kept too.
    assert parse(output) == found


def test_ranges() -> None:
    (ocaml,) = parse((FIXTURES / "ocaml.txt").read_text(), ["main.ml"])
    assert (ocaml.end_line, ocaml.end_column) == (2, 19)  # OCaml: characters 16-19, 0-based, end exclusive
    (vala,) = parse((FIXTURES / "vala.txt").read_text(), ["main.vala"])
    assert (vala.end_line, vala.end_column) == (2, 9)


def test_paths_are_normalised_and_other_files_dropped() -> None:
    output = "\n".join(
        [
            "/usr/include/stdio.h:12:3: error: in a system header",
            "In file included from ./main.c:1:",
            "./lib/util.h:2:5: warning: unused [-Wunused-function]",
            "/work/main.c:3:1: error: absolute",
            "e: file:///work/main.kt:4:2 Unresolved reference 'x'.",
            "../etc/passwd:1:1: error: outside",
            "./other.c:1:1: error: not submitted",
            "./main.cpp:9:6:   required from here",
        ]
    )
    files = ["main.c", "lib/util.h", "main.kt"]
    assert [(d.file, d.line, d.severity, d.code) for d in parse(output, files)] == [
        ("lib/util.h", 2, "warning", "-Wunused-function"),
        ("main.c", 3, "error", None),
        ("main.kt", 4, "error", None),
    ]
    assert "other.c" in {d.file for d in parse(output)}
    assert not {d.file for d in parse(output)} & {"../etc/passwd", "/usr/include/stdio.h", "main.cpp"}


def test_duplicates_dropped_and_capped() -> None:
    output = "main.c:1:1: error: same\n" * 3 + "".join(f"main.c:{i}:1: error: {'x' * 900}\n" for i in range(1, 400))
    found = parse(output, ["main.c"])
    assert len(found) == MAX_DIAGNOSTICS
    assert found[0].message == "same"
    assert len(found[1].message) == MAX_MESSAGE
    # Line 0 names no line; a column of 0 none either; huge numbers are clamped.
    found = parse("main.c:0:1: error: zero\nmain.c:2:0: error: col\nmain.c:99999999999999:1: error: big\n", ["main.c"])
    assert [(d.line, d.column) for d in found] == [(2, None), (999_999_999, 1)]


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
    | st.binary(max_size=400).map(lambda b: b.decode("utf-8", "replace"))
)
def test_garbage_never_raises(text: str) -> None:
    for diagnostic in parse(text, ["main.c"]) + parse(text):
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.line >= 1


line_parts = st.sampled_from(
    [
        "main.c",
        "./main.c",
        "/work/main.c",
        ":",
        "(",
        ")",
        ",",
        "1",
        "0",
        "12",
        " ",
        "error",
        "warning",
        "-->",
        "[E1]",
        "^",
        "\n",
        'File "main.c", line ',
        "characters 1-2",
        "In ",
        "e: ",
        "Error: ",
        "  ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_parts, max_size=60).map("".join))
def test_near_misses_never_raise(text: str) -> None:
    for diagnostic in parse(text, ["main.c"]):
        assert diagnostic.file == "main.c"
        assert diagnostic.line >= 1
        assert diagnostic.column is None or diagnostic.column >= 1
