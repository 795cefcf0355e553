"""The compile phase's messages as diagnostics (``compile.diagnostics``), from real compilers in
their sandboxes: an error at a known line and column comes back at that place, in the right file."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import run

# language -> (source with an error, line, column, code or None, a word of the message)
PROGRAMS: dict[str, tuple[str, int, int, str | None, str]] = {
    "c": ("#include <stdio.h>\nint main(void) {\n    int x = y;\n    return x;\n}\n", 3, 13, None, "y"),
    "cpp": ("#include <string>\nint main() {\n    std::string s = 5;\n    return 0;\n}\n", 3, 21, None, "conversion"),
    "go": ('package main\n\nfunc main() {\n\tprintln("a")\n\tprintln(undefinedName)\n}\n', 5, 10, None, "undefined"),
    "rust": ('fn main() {\n    let x: i32 = "a";\n    println!("{}", x);\n}\n', 2, 18, "E0308", "mismatched"),
    "java": (
        'public class Main {\n    public static void main(String[] a) {\n        int x = "s";\n    }\n}\n',
        3,
        17,
        None,
        "incompatible types",
    ),
    "typescript": (
        "const a: number = 1;\nfunction f() {\n    let s: string = a;\n}\n",
        3,
        9,
        "TS2322",
        "not assignable",
    ),
    "csharp": ('class P {\n    static void Main() {\n        int x = "s";\n    }\n}\n', 3, 17, "CS0029", "convert"),
    "pascal": ("program main;\nbegin\n  x := 1;\nend.\n", 3, 3, None, "Identifier not found"),
}


def first_error(result: dict[str, Any]) -> dict[str, Any]:
    assert result["verdict"] == "compilation_error", result
    assert result["run"] is None or result["run"]["diagnostics"] == []
    errors = [d for d in result["compile"]["diagnostics"] if d["severity"] == "error"]
    assert errors, result["compile"]
    first: dict[str, Any] = errors[0]
    return first


@pytest.mark.parametrize("language", sorted(PROGRAMS))
async def test_compile_error_at_its_line_and_column(api: httpx.AsyncClient, language: str) -> None:
    source, line, column, code, word = PROGRAMS[language]
    error = first_error(await run(api, {"language": language, "source": source}))
    assert (error["line"], error["column"]) == (line, column), error
    assert error["code"] == code
    assert word in error["message"]
    assert "\n" not in error["message"]


async def test_an_error_in_a_second_file_names_that_file(api: httpx.AsyncClient) -> None:
    files = [
        {"name": "main.c", "content": '#include <stdio.h>\n#include "util.h"\nint main(void) { return f(); }\n'},
        {"name": "util.h", "content": "int f(void);\n"},
        {"name": "util.c", "content": "int f(void) {\n  return missing;\n}\n"},
    ]
    error = first_error(await run(api, {"language": "c", "files": files, "entry": "main.c"}))
    assert (error["file"], error["line"], error["column"]) == ("util.c", 2, 10), error


async def test_a_clean_compile_has_none(api: httpx.AsyncClient) -> None:
    result = await run(api, {"language": "c", "source": "int main(void) { return 0; }\n"})
    assert result["verdict"] == "ok", result
    assert result["compile"]["diagnostics"] == []
    assert result["run"]["diagnostics"] == []
