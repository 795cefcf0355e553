"""Every starting language: hello world and a stdin echo, through gateway, queue, executor and Docker."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import run

HELLO = {
    "python": 'print("Hello, world!")',
    "javascript": 'console.log("Hello, world!");',
    "c": '#include <stdio.h>\nint main(void) { puts("Hello, world!"); return 0; }',
    "cpp": '#include <iostream>\nint main() { std::cout << "Hello, world!" << std::endl; }',
    "go": 'package main\nimport "fmt"\nfunc main() { fmt.Println("Hello, world!") }',
    "java": 'public class Main { public static void main(String[] a) { System.out.println("Hello, world!"); } }',
    "rust": 'fn main() { println!("Hello, world!"); }',
    "bash": 'echo "Hello, world!"',
}

ECHO = {
    "python": "import sys\nfor line in sys.stdin:\n    print('echo:', line.rstrip())",
    "javascript": (
        "const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);\n"
        "for (const l of lines) console.log('echo: ' + l);"
    ),
    "c": (
        "#include <stdio.h>\n#include <string.h>\n"
        'int main(void) { char b[256]; while (fgets(b, sizeof b, stdin)) { b[strcspn(b, "\\n")] = 0;'
        ' printf("echo: %s\\n", b); } return 0; }'
    ),
    "cpp": (
        "#include <iostream>\n#include <string>\n"
        'int main() { std::string l; while (std::getline(std::cin, l)) std::cout << "echo: " << l << "\\n"; }'
    ),
    "go": (
        'package main\nimport ("bufio"; "fmt"; "os")\n'
        'func main() { s := bufio.NewScanner(os.Stdin); for s.Scan() { fmt.Println("echo:", s.Text()) } }'
    ),
    "java": (
        "import java.io.*;\npublic class Main { public static void main(String[] a) throws IOException {"
        " BufferedReader r = new BufferedReader(new InputStreamReader(System.in)); String l;"
        ' while ((l = r.readLine()) != null) System.out.println("echo: " + l); } }'
    ),
    "rust": (
        "use std::io::BufRead;\n"
        'fn main() { for l in std::io::stdin().lock().lines() { println!("echo: {}", l.unwrap()); } }'
    ),
    "bash": 'while IFS= read -r line; do echo "echo: $line"; done',
}

STDIN = "first line\nsecond — ünïcode line\n"
EXPECTED_ECHO = "echo: first line\necho: second — ünïcode line\n"


@pytest.mark.parametrize("language", sorted(HELLO))
async def test_hello_world(api: httpx.AsyncClient, language: str) -> None:
    result = await run(api, {"language": language, "source": HELLO[language]})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "Hello, world!\n"
    assert result["run"]["exit_code"] == 0
    assert result["version"], "the executor reports the runtime's real version"
    if result["compile"] is not None:
        assert result["compile"]["verdict"] == "ok"
    assert result["run"]["wall_time_ms"] > 0
    assert result["run"]["memory_kb"] > 0


@pytest.mark.parametrize("language", sorted(ECHO))
async def test_stdin_echo(api: httpx.AsyncClient, language: str) -> None:
    result = await run(api, {"language": language, "source": ECHO[language], "stdin": STDIN})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == EXPECTED_ECHO


async def test_languages_endpoint_reports_real_versions(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/languages")
    assert response.status_code == 200
    languages = {item["id"]: item for item in response.json()}
    assert set(HELLO) <= set(languages)
    for item in languages.values():
        assert item["version"], item
        assert item["version"][0].isdigit(), item
    assert languages["java"]["source_file"] == "Main.java"
    assert languages["cpp"]["compiled"] is True
    assert languages["python"]["compiled"] is False
