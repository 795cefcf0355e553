"""The compilers' checks, mypy and the formatters end to end (POST /v1/analyses): a real gateway and
the session's executor running gcc, clang, tsc, go vet, gofmt in the languages' own runtime
images and mypy, clang-format and prettier in the analysis image, each in a sandbox. Every known
error is asserted at its exact line and UTF-16 column; the autouse fixture of
tests/e2e/conftest.py also checks that no sandbox of a finished analysis remains."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.conftest import SENTINEL

Files = list[dict[str, str]]


def nonce(comment: str = "//") -> str:
    """A first line of its own for every file: nothing is answered from another test's cache."""
    return f"{comment} {secrets.token_hex(8)}\n"


async def analysed(
    api: httpx.AsyncClient, language: str, files: Files, version: str | None = None, **fields: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {"language": language, "files": files, **fields}
    if version is not None:
        payload["version"] = version
    response = await api.post("/v1/analyses", json=payload)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def where(diagnostic: dict[str, Any]) -> tuple[str, int, int, str | None]:
    return diagnostic["file"], diagnostic["line"], diagnostic["column"], diagnostic["code"]


def one(body: dict[str, Any], code: str | None = None, message: str = "") -> dict[str, Any]:
    found = [d for d in body["diagnostics"] if (code is None or d["code"] == code) and message in d["message"]]
    assert len(found) == 1, body
    diagnostic: dict[str, Any] = found[0]
    return diagnostic


@pytest.mark.parametrize(("version", "tsc"), [(None, "7.0.2"), ("5.9", "5.9.3")])
async def test_typescript_errors_at_their_utf16_columns(api: httpx.AsyncClient, version: str | None, tsc: str) -> None:
    source = (
        nonce()
        + 'const mark = "😀"; let n: number = "five";\n'
        + "function g(a: number) { const unused = a; return 1; }\nconsole.log(process.argv, mark, n, g);\n"
    )
    # A submitted tsconfig.json (with it, `unused` would be an error) is not read.
    tsconfig = '{"compilerOptions": {"noUnusedLocals": true}, "files": ["none.ts"]}'
    files = [{"name": "main.ts", "content": source}, {"name": "tsconfig.json", "content": tsconfig}]
    body = await analysed(api, "typescript", files, version)
    assert body["status"] == "ok", body
    assert body["tools"] == [{"name": "tsc", "version": tsc}]
    assert body["version"] == (version or "7.0")
    # Line 2 (after the nonce): tsc's column 24 is `n`, after the emoji's two UTF-16 units.
    mismatch = one(body, "TS2322")
    assert where(mismatch) == ("main.ts", 2, 24, "TS2322")
    assert (mismatch["end_column"], mismatch["severity"], mismatch["source"]) == (25, "error", "tsc")
    assert mismatch["message"] == "Type 'string' is not assignable to type 'number'."
    assert [d["code"] for d in body["diagnostics"]] == ["TS2322"]


async def test_javascript_is_checked_by_typescript(api: httpx.AsyncClient) -> None:
    source = nonce() + 'const fs = require("fs");\nconst n = 1;\nn.toUpperCase(fs);\n'
    body = await analysed(api, "javascript", [{"name": "main.js", "content": source}])
    assert body["status"] == "ok", body
    assert body["tools"] == [{"name": "tsc", "version": "7.0.2"}]
    # require("fs") is fine (modules are `any` here); calling a method of a number is not.
    assert [where(d) for d in body["diagnostics"]] == [("main.js", 4, 3, "TS2339")]


@pytest.mark.parametrize(
    ("version", "tool", "code"),
    [(None, ("gcc", "14.2.0"), "-Wunused-variable"), ("gcc-12", ("gcc", "12.2.0"), "-Wunused-variable")],
)
async def test_c_warnings_at_byte_columns_made_utf16(
    api: httpx.AsyncClient, version: str | None, tool: tuple[str, str], code: str
) -> None:
    source = nonce() + 'int main(void) {\n\tconst char *s = "é😀"; int unused;\n\treturn s[0]\n}\n'
    body = await analysed(api, "c", [{"name": "main.c", "content": source}], version)
    assert body["status"] == "ok", body
    assert body["tools"] == [{"name": tool[0], "version": tool[1]}]
    # gcc's byte 32 on line 3 is UTF-16 column 29 (é: 2 bytes, 1 unit; 😀: 4 bytes, 2 units).
    unused = one(body, code)
    assert where(unused) == ("main.c", 3, 29, code)
    assert unused["end_column"] == 35
    assert unused["severity"] == "warning"
    # The missing `;` comes with gcc's fix-it, offered (not applied unasked).
    missing = one(body, None, "expected")
    assert ";" in missing["message"]
    assert (missing["line"], missing["severity"]) == (4, "error")
    (fix,) = missing["fixes"]
    assert fix["applicability"] == "unsafe"
    assert fix["edits"][0]["text"] == ";"


async def test_clang_and_cpp(api: httpx.AsyncClient) -> None:
    c_source = nonce() + "int main(void) {\n    return undeclared;\n}\n"
    clang = await analysed(api, "c", [{"name": "main.c", "content": c_source}], "clang")
    assert clang["tools"] == [{"name": "clang", "version": "19.1.7"}]
    undeclared = one(clang)
    assert where(undeclared) == ("main.c", 3, 12, None)
    assert (undeclared["end_column"], undeclared["message"]) == (22, "use of undeclared identifier 'undeclared'")

    cpp_source = nonce() + '#include <bits/stdc++.h>\nint main() {\n    int x = "é";\n    return 0;\n}\n'
    gxx = await analysed(api, "cpp", [{"name": "main.cpp", "content": cpp_source}])
    assert gxx["status"] == "ok", gxx
    assert gxx["tools"] == [{"name": "g++", "version": "14.2.0"}]
    conversion = one(gxx, "-fpermissive")
    assert where(conversion) == ("main.cpp", 4, 13, "-fpermissive")
    assert conversion["severity"] == "error"


@pytest.mark.parametrize(("version", "go"), [(None, "1.24.4"), ("1.19", "1.19.8")])
async def test_go_type_errors_and_vet_findings(api: httpx.AsyncClient, version: str | None, go: str) -> None:
    broken = nonce() + 'package main\n\nfunc main() {\n\ts := "é😀"; _ = s\n\treturn 1\n}\n'
    # go.mod is not read (GOPATH mode): its toolchain line changes nothing, nothing is downloaded.
    go_mod = "module evil\n\ngo 1.99\n\ntoolchain go1.99.1\n"
    files = [{"name": "main.go", "content": broken}, {"name": "go.mod", "content": go_mod}]
    body = await analysed(api, "go", files, version)
    assert body["status"] == "ok", body
    assert body["tools"] == [{"name": "go vet", "version": go}]
    returned = one(body)
    assert where(returned) == ("main.go", 6, 9, None)
    assert returned["message"].startswith("too many return values")

    vetted = nonce() + 'package main\n\nimport "fmt"\n\nfunc main() {\n\ts := "é😀"; fmt.Printf("%d\\n", s)\n}\n'
    body = await analysed(api, "go", [{"name": "main.go", "content": vetted}], version)
    # Go's byte 17 is `fmt` after the emoji: UTF-16 column 14.
    printf = one(body, "printf")
    assert where(printf) == ("main.go", 7, 14, "printf")
    assert printf["severity"] == "warning"


async def test_mypy_is_asked_for_with_types(api: httpx.AsyncClient) -> None:
    source = nonce("#") + 'import numpy\n\nprint("😀", len(5))\n'
    files = [
        {"name": "main.py", "content": source},
        # Configuration (and its plugins) is never read: --config-file=.
        {"name": "mypy.ini", "content": "[mypy]\nplugins = evil_plugin\nstrict = True\n"},
    ]
    lint = await analysed(api, "python", files)
    assert [tool["name"] for tool in lint["tools"]] == ["ruff"]
    body = await analysed(api, "python", files, "3.11", checks=["lint", "types"])
    assert body["status"] == "ok", body
    assert body["tools"] == [{"name": "mypy", "version": "1.15.0"}, {"name": "ruff", "version": "0.17.6"}]
    mypy = [d for d in body["diagnostics"] if d["source"] == "mypy"]
    # mypy's 0-based byte 18 (the 5) is UTF-16 column 17; numpy (not in the analysis image) is no error.
    assert [where(d) for d in mypy] == [("main.py", 4, 17, "arg-type")]
    assert mypy[0]["severity"] == "error"
    assert [d["code"] for d in body["diagnostics"] if d["source"] == "ruff"] == ["F401"]


async def test_formatters_reformat_and_ignore_submitted_configuration(api: httpx.AsyncClient) -> None:
    head = nonce()
    c = await analysed(
        api,
        "c",
        [
            {"name": "main.c", "content": head + "int main(){int x=1;\nreturn x;}\n"},
            {"name": ".clang-format", "content": "BasedOnStyle: GNU\nIndentWidth: 8\n"},
        ],
        checks=["format"],
    )
    assert c["status"] == "ok", c
    assert c["tools"] == [{"name": "clang-format", "version": "19.1.7"}]
    assert c["formatted"] == [
        {"name": "main.c", "content": head + "int main() {\n    int x = 1;\n    return x;\n}\n", "changed": True}
    ]

    key = secrets.token_hex(4)
    ts = await analysed(
        api,
        "typescript",
        [
            {"name": "main.ts", "content": head + "const a = {b:1}\nfunction f( x:number ){return x*2}\n"},
            {"name": "data.json", "content": f'{{"k":"{key}",\n"b":[1,2]}}\n'},
            {"name": "README.md", "content": f"# {key}\n* a\n"},
            {"name": ".prettierrc", "content": '{"semi": false, "plugins": ["./evil.js"]}'},
        ],
        checks=["format"],
    )
    assert ts["status"] == "ok", ts
    assert ts["tools"] == [{"name": "prettier", "version": "3.10.2"}]
    assert {f["name"]: (f["content"], f["changed"]) for f in ts["formatted"]} == {
        "main.ts": (head + "const a = { b: 1 };\nfunction f(x: number) {\n  return x * 2;\n}\n", True),
        "data.json": (f'{{ "k": "{key}", "b": [1, 2] }}\n', True),
        "README.md": (f"# {key}\n\n- a\n", True),
    }

    go = await analysed(
        api,
        "go",
        [{"name": "main.go", "content": head + 'package main\nimport "fmt"\nfunc main(){fmt.Println( 1 )}\n'}],
        checks=["format"],
    )
    assert go["status"] == "ok", go
    assert go["tools"] == [{"name": "gofmt", "version": "1.24.4"}]
    assert go["formatted"] == [
        {
            "name": "main.go",
            "content": head + 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(1) }\n',
            "changed": True,
        }
    ]
    # A file the formatter cannot parse comes back as it was; the others are formatted.
    broken = await analysed(
        api,
        "javascript",
        [{"name": "bad.js", "content": head + "const = ;\n"}, {"name": "ok.js", "content": head + "f( 1 )\n"}],
        checks=["format"],
    )
    assert broken["status"] == "ok", broken
    assert {f["name"]: f["changed"] for f in broken["formatted"]} == {"bad.js": False, "ok.js": True}


async def test_hostile_includes_show_only_the_sandbox(api: httpx.AsyncClient) -> None:
    source = nonce() + '#include "/proc/self/environ"\n#include "/etc/shadow"\nint main(void) { return 0; }\n'
    for version in (None, "clang"):
        response = await api.post(
            "/v1/analyses",
            json={
                "language": "c",
                "files": [{"name": "main.c", "content": source}],
                **({"version": version} if version else {}),
            },
        )
        assert response.status_code == 200, response.text
        # The executor's environment (its secrets; the sentinel stands for them) never reaches a
        # sandbox: what the compiler read is the sandbox's own, and only at the #include lines.
        assert SENTINEL not in response.text
        assert "CRH_" not in response.text
        body = response.json()
        assert body["status"] == "ok", body
        assert {d["line"] for d in body["diagnostics"]} <= {2, 3}
        assert all(d["file"] == "main.c" for d in body["diagnostics"])

    # Go: //go:embed cannot name a file outside the package, and cgo is off (no C compiler runs).
    embed = (
        nonce()
        + 'package main\n\nimport _ "embed"\n\n//go:embed ../../../../proc/self/environ\nvar env string\n\n'
        + "func main() { println(env) }\n"
    )
    cgo = '//go:build cgo\n\npackage main\n\n/*\n#include "/etc/shadow"\n*/\nimport "C"\n'
    response = await api.post(
        "/v1/analyses",
        json={"language": "go", "files": [{"name": "main.go", "content": embed}, {"name": "c.go", "content": cgo}]},
    )
    assert response.status_code == 200, response.text
    assert SENTINEL not in response.text
    pattern = one(response.json())
    assert (pattern["line"], pattern["file"]) == (6, "main.go")
    assert "invalid pattern syntax" in pattern["message"]


def recursive_types(count: int) -> str:
    """Type-level recursion TypeScript evaluates to the end: each alias costs ~0.2 s of CPU."""
    lines = [
        "type Build<N extends number, A extends unknown[] = []> = A['length'] extends N ? A : Build<N, [...A, 0]>;"
    ]
    lines += [f"type T{i} = Build<{999 - i}>; const v{i}: T{i}['length'] = {999 - i};" for i in range(count)]
    return "\n".join(lines) + "\n"


async def test_a_type_level_bomb_hits_the_limit_and_the_next_analysis_is_fine(api: httpx.AsyncClient) -> None:
    bomb = nonce() + recursive_types(60)
    body = await analysed(api, "typescript", [{"name": "main.ts", "content": bomb}])
    assert (body["status"], body["diagnostics"]) in (("timeout", []), ("limit", [])), body
    assert body["detail"]
    fine = await analysed(api, "typescript", [{"name": "main.ts", "content": nonce() + "let n: number = 'x';\n"}])
    assert fine["status"] == "ok"
    assert [where(d) for d in fine["diagnostics"]] == [("main.ts", 2, 5, "TS2322")]


async def test_a_diagnostics_flood_is_capped(api: httpx.AsyncClient) -> None:
    # 1,000 unused variables: 1,000 warnings (~70 KB, under the output limit), 200 kept.
    source = nonce() + "int main(void) {\n" + "".join(f"\tint v{i};\n" for i in range(1_000)) + "\treturn 0;\n}\n"
    body = await analysed(api, "c", [{"name": "main.c", "content": source}])
    assert body["status"] == "ok", body
    assert len(body["diagnostics"]) == 200
    assert [d["line"] for d in body["diagnostics"][:2]] == [3, 4]
