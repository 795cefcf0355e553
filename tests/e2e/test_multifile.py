"""Multi-file programs, arguments and exit codes, in the languages that have modules or includes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import run

# language -> (files, entry): the entry uses a second file, prints its arguments joined by commas
# after "args:", and exits with status 3.
PROGRAMS: dict[str, tuple[list[dict[str, str]], str]] = {
    "c": (
        [
            {
                "name": "main.c",
                "content": '#include <stdio.h>\n#include "util.h"\nint main(int c, char **v) {'
                ' printf("%s args:", greet()); for (int i = 1; i < c; i++) printf("%s%s", i > 1 ? "," : "", v[i]);'
                ' puts(""); return 3; }',
            },
            {"name": "util.h", "content": "const char *greet(void);"},
            {"name": "util.c", "content": 'const char *greet(void) { return "hi"; }'},
        ],
        "main.c",
    ),
    "cpp": (
        [
            {
                "name": "main.cpp",
                "content": '#include <iostream>\n#include "util.hpp"\nint main(int c, char **v) {'
                ' std::cout << greet() << " args:";'
                ' for (int i = 1; i < c; i++) std::cout << (i > 1 ? "," : "") << v[i];'
                ' std::cout << "\\n"; return 3; }',
            },
            {"name": "util.hpp", "content": "#include <string>\nstd::string greet();"},
            {"name": "util.cpp", "content": '#include "util.hpp"\nstd::string greet() { return "hi"; }'},
        ],
        "main.cpp",
    ),
    "go": (
        [
            {
                "name": "main.go",
                "content": 'package main\nimport ("fmt"; "os"; "strings")\nfunc main() {'
                ' fmt.Println(greet() + " args:" + strings.Join(os.Args[1:], ",")); os.Exit(3) }',
            },
            {"name": "util.go", "content": 'package main\nfunc greet() string { return "hi" }'},
        ],
        "main.go",
    ),
    "rust": (
        [
            {
                "name": "main.rs",
                "content": "mod util;\nfn main() { let a: Vec<String> = std::env::args().skip(1).collect();"
                ' println!("{} args:{}", util::greet(), a.join(",")); std::process::exit(3); }',
            },
            {"name": "util.rs", "content": 'pub fn greet() -> &\'static str { "hi" }'},
        ],
        "main.rs",
    ),
    "java": (
        [
            {
                "name": "Main.java",
                "content": "public class Main { public static void main(String[] a) {"
                ' System.out.println(Util.greet() + " args:" + String.join(",", a)); System.exit(3); } }',
            },
            {"name": "Util.java", "content": 'class Util { static String greet() { return "hi"; } }'},
        ],
        "Main.java",
    ),
    "kotlin": (
        [
            {
                "name": "main.kt",
                "content": 'fun main(args: Array<String>) { println(greet() + " args:" +'
                ' args.joinToString(",")); kotlin.system.exitProcess(3) }',
            },
            {"name": "util.kt", "content": 'fun greet() = "hi"'},
        ],
        "main.kt",
    ),
    "csharp": (
        [
            {
                "name": "main.cs",
                "content": "class Program { static int Main(string[] a) {"
                ' System.Console.WriteLine(Util.Greet() + " args:" + string.Join(",", a)); return 3; } }',
            },
            {"name": "util.cs", "content": 'static class Util { public static string Greet() => "hi"; }'},
        ],
        "main.cs",
    ),
    "typescript": (
        [
            {
                "name": "main.ts",
                "content": 'import { greet } from "./util";\n'
                'console.log(greet() + " args:" + process.argv.slice(2).join(","));\nprocess.exit(3);',
            },
            {"name": "util.ts", "content": 'export function greet(): string { return "hi"; }'},
        ],
        "main.ts",
    ),
    "python": (
        [
            {
                "name": "main.py",
                "content": "import sys\nfrom util import greet\n"
                "print(greet() + ' args:' + ','.join(sys.argv[1:]))\nsys.exit(3)",
            },
            {"name": "util.py", "content": "def greet():\n    return 'hi'"},
        ],
        "main.py",
    ),
    "ruby": (
        [
            {"name": "main.rb", "content": "require_relative 'util'\nputs greet + ' args:' + ARGV.join(',')\nexit 3"},
            {"name": "util.rb", "content": "def greet = 'hi'"},
        ],
        "main.rb",
    ),
}
ARGS = ["one", "two words", "-x", "ünï"]


@pytest.mark.parametrize("language", sorted(PROGRAMS))
async def test_multi_file_program_with_arguments_and_exit_code(api: httpx.AsyncClient, language: str) -> None:
    files, entry = PROGRAMS[language]
    result: dict[str, Any] = await run(api, {"language": language, "files": files, "entry": entry, "args": ARGS})
    assert result["verdict"] == "runtime_error", result
    assert result["run"]["exit_code"] == 3, result
    assert result["run"]["stdout"] == "hi args:one,two words,-x,ünï\n", result
