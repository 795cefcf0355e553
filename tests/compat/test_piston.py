"""Piston v2's API as engineer-man/piston's api/v2.js and job.js serve it, at /api/v2 over real
executions: runtimes, execute (fields, units, statuses, messages, version ranges, aliases,
encodings), errors and credentials, and the interactive WebSocket with its close codes."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.gateway.compat.piston.socket import INIT_TIMEOUT_S
from shared.auth.api_keys import generate_api_key
from shared.languages import BY_KEY
from tests.auth_support import AuthService, bearer
from tests.product.conftest import MakeAccount, gateway

P = "/api/v2"
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
# No read of a WebSocket waits longer than this: a stuck stream fails the test, never hangs it.
RECV_S = 30

ECHO = "import sys\ndata = sys.stdin.read()\nprint(repr(data), sys.argv[1:])\nsys.exit(3)\n"
INTERLEAVED = (
    "import sys, time\n"
    "for stream, text in ((sys.stdout, 'o1'), (sys.stderr, 'e1'), (sys.stdout, 'o2')):\n"
    "    stream.write(text)\n    stream.flush()\n    time.sleep(0.02)\n"
)
VERSION = "import platform\nprint(platform.python_version())\n"
C_BROKEN = "int main( { return 0; }\n"
CPP_HELLO = '#include <iostream>\nint main() { std::cout << "hi from c++" << std::endl; }\n'


def job(language: str, content: str, version: str = "*", **fields: Any) -> dict[str, Any]:
    return {"language": language, "version": version, "files": [{"content": content}], **fields}


async def execute(gw: httpx.AsyncClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = await gw.post(f"{P}/execute", json=body, **kwargs)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def runtimes(gw: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await gw.get(f"{P}/runtimes")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


class TestRuntimes:
    async def test_every_version_under_pistons_names(self, gw: httpx.AsyncClient) -> None:
        listed = await runtimes(gw)
        assert len(listed) == len(BY_KEY)
        for entry in listed:
            assert set(entry) <= {"language", "version", "aliases", "runtime"}, entry
            assert SEMVER.match(entry["version"]), entry
            assert all(isinstance(alias, str) for alias in entry["aliases"])
        by_name: dict[str, list[dict[str, Any]]] = {}
        for entry in listed:
            by_name.setdefault(entry["language"], []).append(entry)
        assert {"py", "py3", "python3", "python"} <= set(by_name["python"][0]["aliases"])
        assert [e["runtime"] for e in by_name["javascript"]] == ["node"] * len(by_name["javascript"])
        gcc = [e for e in by_name["c++"] if e.get("runtime") == "gcc"]
        assert gcc
        assert all({"cpp", "g++"} <= set(e["aliases"]) for e in gcc)
        assert all("cpp" in e["aliases"] for e in by_name["c++"])
        assert "csharp" in by_name
        assert "rscript" in by_name
        assert "sqlite3" in by_name
        # Our own id where Piston has no such language, always among the aliases.
        assert by_name["ada"][0]["aliases"] == ["ada"]
        # PyPy's own version scale stays out of "python".
        assert by_name["pypy"][0]["aliases"] == ["pypy3"]

    async def test_versions_are_the_installed_ones(self, gw: httpx.AsyncClient) -> None:
        native = {lang["id"]: lang for lang in (await gw.get("/v1/languages")).json()}
        python = [e["version"] for e in await runtimes(gw) if e["language"] == "python"]
        assert python == [v["version"] for v in native["python"]["versions"] if v["variant"] != "pypy"]


class TestExecute:
    async def test_stdin_args_and_exit_code(self, gw: httpx.AsyncClient) -> None:
        result = await execute(gw, job("python", ECHO, stdin="hello", args=["a", "b c"]))
        listed = [e for e in await runtimes(gw) if e["language"] == "python"]
        assert (result["language"], result["version"]) == ("python", listed[0]["version"])
        assert "compile" not in result
        run = result["run"]
        # Piston adds the missing trailing newline to stdin.
        assert run["stdout"] == "'hello\\n' ['a', 'b c']\n"
        assert (run["code"], run["signal"], run["status"]) == (3, None, "RE")
        assert run["message"] == "Exited with error status 3"
        assert run["output"] == run["stdout"]
        assert run["stderr"] == ""
        assert isinstance(run["cpu_time"], int | float)
        assert isinstance(run["wall_time"], int | float)
        assert run["wall_time"] > 0
        assert run["memory"] > 1024

    async def test_success_has_no_status(self, gw: httpx.AsyncClient) -> None:
        run = (await execute(gw, job("py", "print('ok')")))["run"]
        assert (run["stdout"], run["code"], run["signal"], run["message"], run["status"]) == (
            "ok\n",
            0,
            None,
            None,
            None,
        )

    async def test_output_interleaves_stdout_and_stderr_as_written(self, gw: httpx.AsyncClient) -> None:
        run = (await execute(gw, job("python", INTERLEAVED)))["run"]
        assert (run["stdout"], run["stderr"]) == ("o1o2", "e1")
        assert run["output"] == "o1e1o2"

    async def test_a_compile_error_is_the_run_stage_too(self, gw: httpx.AsyncClient) -> None:
        result = await execute(gw, job("c", C_BROKEN))
        compiled = result["compile"]
        assert compiled["code"] not in (0, None), compiled
        assert compiled["status"] == "RE"
        assert compiled["message"] == f"Exited with error status {compiled['code']}"
        assert "error" in compiled["stderr"]
        assert result["run"] == compiled

    @pytest.mark.parametrize("alias", ["cpp", "c++", "g++"])
    async def test_cpp_by_its_aliases(self, gw: httpx.AsyncClient, alias: str) -> None:
        result = await execute(gw, job(alias, CPP_HELLO, version="14.x" if alias == "g++" else "*"))
        assert result["language"] == "c++"
        assert (result["compile"]["code"], result["compile"]["status"]) == (0, None)
        assert result["run"]["stdout"] == "hi from c++\n"

    async def test_a_runtime_error(self, gw: httpx.AsyncClient) -> None:
        run = (await execute(gw, job("python", "raise ValueError('boom')")))["run"]
        assert (run["code"], run["signal"], run["status"]) == (1, None, "RE")
        assert "ValueError: boom" in run["stderr"]
        assert run["output"] == run["stderr"]

    async def test_a_signal(self, gw: httpx.AsyncClient) -> None:
        source = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
        run = (await execute(gw, job("python", source)))["run"]
        assert (run["code"], run["signal"], run["status"]) == (None, "SIGSEGV", "SG")
        assert run["message"] == "Caught fatal signal 11"

    async def test_a_timeout(self, gw: httpx.AsyncClient) -> None:
        run = (await execute(gw, job("python", "import time\ntime.sleep(10)", run_timeout=300)))["run"]
        assert (run["code"], run["signal"], run["status"]) == (None, "SIGKILL", "TO")
        assert run["message"] == "Time limit exceeded (wall clock)"
        assert run["wall_time"] < 5000

    async def test_a_memory_limit_is_a_sigkill(self, gw: httpx.AsyncClient) -> None:
        source = "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))\n"
        run = (await execute(gw, job("python", source, run_memory_limit=64 * 1024 * 1024)))["run"]
        assert (run["code"], run["signal"], run["status"]) == (None, "SIGKILL", "SG"), run

    async def test_version_ranges(self, gw: httpx.AsyncClient) -> None:
        python = [e["version"] for e in await runtimes(gw) if e["language"] == "python"]
        newest, older = python[0], python[1]
        for selector, expected in (
            ("*", newest),
            ("3.x", newest),
            (newest, newest),
            (older, older),
            (".".join(older.split(".")[:2]), older),
        ):
            result = await execute(gw, job("python", VERSION, version=selector))
            assert result["version"] == expected, selector
            assert result["run"]["stdout"] == f"{expected}\n", selector

    async def test_a_text_plain_body(self, gw: httpx.AsyncClient) -> None:
        response = await gw.post(
            f"{P}/execute",
            content=json.dumps(job("python", "print('plain')")),
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["run"]["stdout"] == "plain\n"

    async def test_encoded_files_and_names(self, gw: httpx.AsyncClient) -> None:
        helper = base64.b64encode(b"GREETING = 'h\xc3\xa9llo'\n").decode()
        body = {
            "language": "python",
            "version": "*",
            "files": [
                {"content": "import helper\nprint(helper.GREETING, open('data.txt').read())"},
                {"name": "helper.py", "content": helper, "encoding": "base64"},
                {"name": "data.txt", "content": b"from hex".hex(), "encoding": "hex"},
            ],
        }
        assert (await execute(gw, body))["run"]["stdout"] == "héllo from hex\n"

    async def test_the_entry_is_the_first_utf8_file(self, gw: httpx.AsyncClient) -> None:
        body = {
            "language": "python",
            "version": "*",
            "files": [
                {"name": "data.txt", "content": base64.b64encode(b"42").decode(), "encoding": "base64"},
                {"content": "print(open('data.txt').read())"},
            ],
        }
        assert (await execute(gw, body))["run"]["stdout"] == "42\n"


BAD_REQUESTS: list[tuple[Any, str]] = [
    ({}, "language is required as a string"),
    ({"language": 5}, "language is required as a string"),
    ({"language": "python"}, "version is required as a string"),
    ({"language": "python", "version": ""}, "version is required as a string"),
    ({"language": "python", "version": "*"}, "files is required as an array"),
    ({"language": "python", "version": "*", "files": "print(1)"}, "files is required as an array"),
    ({"language": "python", "version": "*", "files": [{"name": "a.py"}]}, "files[0].content is required as a string"),
    (
        {"language": "python", "version": "*", "files": [{"content": "x"}, {"content": 5}]},
        "files[1].content is required as a string",
    ),
    (job("cobolx", "x"), "cobolx-* runtime is unknown"),
    (job("python", "x", version="9.x"), "python-9.x runtime is unknown"),
    (job("python", "x", version="latest"), "python-latest runtime is unknown"),
    (
        {"language": "python", "version": "*", "files": [{"content": "eA==", "encoding": "base64"}]},
        "files must include at least one utf8 encoded file",
    ),
    (job("python", "x", run_timeout="100"), "If specified, run_timeout must be a number"),
    (job("python", "x", compile_cpu_time=True), "If specified, compile_cpu_time must be a number"),
    (job("python", "x", run_timeout=10**9), "run_timeout cannot exceed the configured limit of 30000"),
    (job("python", "x", run_timeout=-5), "run_timeout must be non-negative"),
    (
        job("python", "x", run_memory_limit=1 << 40),
        "run_memory_limit cannot exceed the configured limit of 2147483648",
    ),
]


class TestErrors:
    @pytest.mark.parametrize(("body", "message"), BAD_REQUESTS)
    async def test_validation_messages(
        self, gw: httpx.AsyncClient, nothing_queued: None, body: Any, message: str
    ) -> None:
        response = await gw.post(f"{P}/execute", json=body)
        assert (response.status_code, response.json()) == (400, {"message": message})

    async def test_our_field_rules_name_the_field(self, gw: httpx.AsyncClient, nothing_queued: None) -> None:
        cases = [
            ({"language": "python", "version": "*", "files": [{"name": "../x.py", "content": "x"}]}, "files[0].name: "),
            (job("python", "x", args=[1]), "args[0]: "),
            (job("python", "x", run_timeout=10), "limits.wall_time_ms: must be between"),
        ]
        for body, start in cases:
            response = await gw.post(f"{P}/execute", json=body)
            assert response.status_code == 400, response.text
            assert response.json()["message"].startswith(start), (body, response.text)

    async def test_binary_files_reach_the_program(self, gw: httpx.AsyncClient) -> None:
        source = "print(list(open('b.bin', 'rb').read()), open('h.bin', 'rb').read())"
        body = {
            "language": "python",
            "version": "*",
            "files": [
                {"content": source},
                {"name": "b.bin", "content": "//79", "encoding": "base64"},
                {"name": "h.bin", "content": "00ff", "encoding": "hex"},
            ],
        }
        result = await execute(gw, body)
        assert result["run"]["stdout"] == "[255, 254, 253] b'\\x00\\xff'\n", result

    async def test_a_body_that_is_not_json(self, gw: httpx.AsyncClient) -> None:
        response = await gw.post(f"{P}/execute", content=b"{", headers={"content-type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"message": "the body is not valid JSON"})

    async def test_bad_credentials_are_401(self, gw: httpx.AsyncClient, nothing_queued: None) -> None:
        unknown, _ = generate_api_key()
        for headers in ({"Authorization": f"Bearer {unknown}"}, {"X-Auth-Token": unknown}):
            response = await gw.post(f"{P}/execute", json=job("python", "print(1)"), headers=headers)
            assert (response.status_code, response.json()) == (401, {"message": "Unknown API key."})


async def test_a_wait_that_ends_first_is_504(auth: AuthService, executor: Any) -> None:
    async with gateway(auth, wait_timeout_s=0.5) as short:
        response = await short.post(f"{P}/execute", json=job("python", "import time\ntime.sleep(3)"))
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["execution_id"] in body["message"]
    assert f"/v1/executions/{body['execution_id']}" in body["message"]


async def test_api_key_executions_are_in_history(
    auth: AuthService, gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    me = await make_account()
    created = await auth.client.post(
        "/auth/v1/api-keys",
        headers=me.headers,
        json={"name": "piston", "scopes": ["executions:write", "executions:read"]},
    )
    assert created.status_code == 201, created.text
    key = bearer(created.json()["key"])
    result = await execute(gw, job("python", "print('by key')"), headers=key)
    assert result["run"]["stdout"] == "by key\n"
    page = (await gw.get("/v1/executions", headers=key)).json()
    assert [(item["language"], item["run"]["stdout"]) for item in page["items"]] == [("python", "by key\n")]
    assert page["items"][0]["version"] == result["version"]


# The interactive WebSocket.


def ws_url(gw: httpx.AsyncClient) -> str:
    return str(gw.base_url.copy_with(scheme="ws", path=f"{P}/connect"))


@asynccontextmanager
async def socket(gw: httpx.AsyncClient, **kwargs: Any) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url(gw), **kwargs) as ws:
        yield ws


async def send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def until_closed(ws: ClientConnection) -> tuple[list[dict[str, Any]], int, str]:
    """Every frame left, and the close code and reason."""
    frames: list[dict[str, Any]] = []
    while True:
        try:
            text = await asyncio.wait_for(ws.recv(), RECV_S)
        except ConnectionClosed as closed:
            received = closed.rcvd
            break
        frames.append(json.loads(text))
    assert received is not None
    return frames, received.code, received.reason


async def until_frame(ws: ClientConnection, **match: Any) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), RECV_S))
        frames.append(frame)
        if all(frame.get(key) == value for key, value in match.items()):
            return frames


CHAT = "print('ready', flush=True)\nline = input()\nprint('got', line)\n"
SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"


class TestSocket:
    async def test_a_session(self, gw: httpx.AsyncClient) -> None:
        python = next(e["version"] for e in await runtimes(gw) if e["language"] == "python")
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("python", CHAT)})
            first = await until_frame(ws, type="data", stream="stdout")
            assert first[:2] == [
                {"type": "runtime", "language": "python", "version": python},
                {"type": "stage", "stage": "run"},
            ]
            assert "".join(f["data"] for f in first if f["type"] == "data") == "ready\n"
            await send(ws, {"type": "data", "stream": "stdin", "data": "hi there\n"})
            frames, code, reason = await until_closed(ws)
        assert "".join(f["data"] for f in frames if f["type"] == "data") == "got hi there\n"
        assert frames[-1] == {"type": "exit", "stage": "run", "code": 0, "signal": None}
        assert (code, reason) == (4999, "Job Completed")

    async def test_compile_and_run_stages(self, gw: httpx.AsyncClient) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("cpp", CPP_HELLO)})
            frames, code, _ = await until_closed(ws)
        kinds = [(f["type"], f.get("stage")) for f in frames if f["type"] != "data"]
        assert kinds == [
            ("runtime", None),
            ("stage", "compile"),
            ("exit", "compile"),
            ("stage", "run"),
            ("exit", "run"),
        ]
        assert frames[2] == {"type": "exit", "stage": "compile", "code": 0, "signal": None}
        assert "".join(f["data"] for f in frames if f["type"] == "data") == "hi from c++\n"
        assert code == 4999

    async def test_a_compile_error_ends_after_the_compile_stage(self, gw: httpx.AsyncClient) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("c", C_BROKEN)})
            frames, code, _ = await until_closed(ws)
        assert [f["type"] for f in frames if f["type"] != "data"] == ["runtime", "stage", "exit"]
        assert frames[-1]["stage"] == "compile"
        assert frames[-1]["code"] not in (0, None)
        assert any(f["type"] == "data" and f["stream"] == "stderr" for f in frames)
        assert code == 4999

    async def test_a_signal_kills(self, gw: httpx.AsyncClient) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("python", SLEEPER)})
            await until_frame(ws, type="data", data="up\n")
            await send(ws, {"type": "signal", "signal": "SIGTERM"})
            frames, code, reason = await until_closed(ws)
        assert frames[-1] == {"type": "exit", "stage": "run", "code": None, "signal": "SIGKILL"}
        assert (code, reason) == (4999, "Job Completed")

    async def test_a_bad_init_is_an_error_frame_then_4002(self, gw: httpx.AsyncClient, nothing_queued: None) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("nope", "x")})
            frames, code, reason = await until_closed(ws)
        assert frames == [{"type": "error", "message": "nope-* runtime is unknown"}]
        assert (code, reason) == (4002, "Notified Error")

    async def test_no_init_in_time_is_4001(self, gw: httpx.AsyncClient) -> None:
        started = time.monotonic()
        async with socket(gw) as ws:
            frames, code, reason = await until_closed(ws)
        assert (frames, code, reason) == ([], 4001, "Initialization Timeout")
        assert INIT_TIMEOUT_S <= time.monotonic() - started < INIT_TIMEOUT_S + 5

    async def test_data_before_init_is_4003(self, gw: httpx.AsyncClient) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "data", "stream": "stdin", "data": "x"})
            assert await until_closed(ws) == ([], 4003, "Not yet initialized")

    @pytest.mark.parametrize(
        ("frame", "closed"),
        [
            ({"type": "init", **job("python", "x")}, (4000, "Already Initialized")),
            ({"type": "data", "stream": "stdout", "data": "x"}, (4004, "Can only write to stdin")),
            ({"type": "signal", "signal": "SIGFOO"}, (4005, "Invalid signal")),
        ],
    )
    async def test_protocol_errors_after_init(
        self, gw: httpx.AsyncClient, frame: dict[str, Any], closed: tuple[int, str]
    ) -> None:
        async with socket(gw) as ws:
            await send(ws, {"type": "init", **job("python", SLEEPER)})
            await until_frame(ws, type="runtime")
            await send(ws, frame)
            _, code, reason = await until_closed(ws)
        assert (code, reason) == closed

    async def test_bad_credentials_close_4401(self, gw: httpx.AsyncClient) -> None:
        unknown, _ = generate_api_key()
        async with socket(gw, additional_headers={"Authorization": f"Bearer {unknown}"}) as ws:
            assert await until_closed(ws) == ([], 4401, "Unauthorized")
