"""Each verdict, produced by a real program in a real sandbox."""

from __future__ import annotations

import base64
import json

import httpx

from tests.e2e.conftest import run


async def test_cpp_compilation_error(api: httpx.AsyncClient) -> None:
    result = await run(api, {"language": "cpp", "source": "int main() { return undefined_name; }"})
    assert result["verdict"] == "compilation_error"
    assert result["compile"]["exit_code"] != 0
    assert "undefined_name" in result["compile"]["stderr"]
    assert result["run"] is None
    assert result["message"].startswith("Compilation failed")


async def test_runtime_error_by_exit_code(api: httpx.AsyncClient) -> None:
    result = await run(api, {"language": "python", "source": "import sys\nprint('bye')\nsys.exit(3)"})
    assert result["verdict"] == "runtime_error"
    assert result["run"]["exit_code"] == 3
    assert result["run"]["signal"] is None
    assert result["run"]["stdout"] == "bye\n"
    assert "code 3" in result["message"]


async def test_runtime_error_by_signal_segfault(api: httpx.AsyncClient) -> None:
    source = "int main(void) { volatile int *p = 0; *p = 42; return 0; }"
    result = await run(api, {"language": "c", "source": source})
    assert result["verdict"] == "runtime_error"
    assert result["run"]["signal"] == 11
    assert result["run"]["signal_name"] == "SIGSEGV"
    assert result["run"]["exit_code"] is None
    assert "SIGSEGV" in result["message"]


async def test_wall_time_limit(api: httpx.AsyncClient) -> None:
    payload = {
        "language": "python",
        "source": "import time\nprint('sleeping', flush=True)\ntime.sleep(30)\nprint('woke')",
        "limits": {"wall_time_ms": 1000},
    }
    result = await run(api, payload)
    assert result["verdict"] == "time_limit"
    assert result["run"]["exceeded"] == "wall_time"
    assert result["run"]["stdout"] == "sleeping\n"
    assert 1000 <= result["run"]["wall_time_ms"] < 5000
    assert result["run"]["cpu_time_ms"] < 1000
    assert "Wall time" in result["message"]


async def test_peak_memory_of_a_program_stopped_by_a_limit(api: httpx.AsyncClient) -> None:
    """The agent stops the program: its peak still reaches the result (its rusage dies with it)."""
    source = "import time\nheld = bytearray(80 << 20)\nprint('holding', flush=True)\ntime.sleep(30)"
    payload = {"language": "python", "source": source, "limits": {"wall_time_ms": 1500, "memory_mb": 256}}
    result = await run(api, payload)
    assert result["verdict"] == "time_limit", result["message"]
    assert result["run"]["stdout"] == "holding\n"
    assert 80 * 1024 <= result["run"]["memory_kb"] < 256 * 1024


async def test_cpu_time_limit(api: httpx.AsyncClient) -> None:
    payload = {"language": "python", "source": "while True:\n    pass", "limits": {"cpu_time_ms": 500}}
    result = await run(api, payload)
    assert result["verdict"] == "time_limit"
    assert result["run"]["exceeded"] == "cpu_time"
    assert result["run"]["cpu_time_ms"] >= 500
    assert "CPU time" in result["message"]


async def test_memory_limit(api: httpx.AsyncClient) -> None:
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(1024 * 1024))"
    result = await run(api, {"language": "python", "source": source, "limits": {"memory_mb": 64}})
    assert result["verdict"] == "memory_limit"
    assert result["run"]["exceeded"] == "memory"
    assert "64 MB" in result["message"]


async def test_output_limit(api: httpx.AsyncClient) -> None:
    payload = {"language": "python", "source": "while True:\n    print('x' * 99)", "limits": {"output_bytes": 65536}}
    result = await run(api, payload)
    assert result["verdict"] == "output_limit"
    assert result["run"]["exceeded"] == "output"
    assert len(result["run"]["stdout"]) == 65536
    assert result["run"]["stdout_truncated"] is True
    assert "stdout" in result["message"]


async def test_program_arguments_are_argv_not_shell(api: httpx.AsyncClient) -> None:
    args = ["$(id)", "`whoami`", "a b", "line\nbreak", "; rm -rf /"]
    result = await run(
        api, {"language": "python", "source": "import sys, json\nprint(json.dumps(sys.argv[1:]))", "args": args}
    )
    assert result["verdict"] == "ok"
    assert json.loads(result["run"]["stdout"]) == args


async def test_multi_file_program(api: httpx.AsyncClient) -> None:
    files = [
        {"name": "util/helper.py", "content": "def greet(name):\n    return f'hi {name}'"},
        {"name": "app.py", "content": "from util.helper import greet\nprint(greet('files'))"},
    ]
    result = await run(api, {"language": "python", "files": files, "entry": "app.py"})
    assert result["verdict"] == "ok", result
    assert result["run"]["stdout"] == "hi files\n"


async def test_binary_output_survives_in_base64(api: httpx.AsyncClient) -> None:
    source = "import sys\nsys.stdout.buffer.write(bytes(range(256)))"
    result = await run(api, {"language": "python", "source": source}, encoding="base64")
    assert result["verdict"] == "ok"
    assert base64.b64decode(result["run"]["stdout"]) == bytes(range(256))
