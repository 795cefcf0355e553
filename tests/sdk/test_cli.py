"""The installed `crh` command (.venv/bin/crh) as a subprocess against the served gateway and the
real executor: output streams, exit codes, --json, --stdin, program arguments, the config file,
languages, history, snippets, and phone sign-in against the auth service and the fake Twilio."""

from __future__ import annotations

import asyncio
import json
import signal
import stat
from pathlib import Path

import httpx
from coderunhub import AsyncClient

from tests.auth.fakes import FakeTwilio
from tests.auth_support import AuthService, fresh_phone
from tests.sdk.conftest import CRH, WAIT_S, crh, program

ECHO = """
import sys
print("to stdout")
print("to stderr", file=sys.stderr)
print(sys.argv[1:])
print(input())
sys.exit(3)
"""


async def test_run_streams_output_and_exits_with_the_programs_code(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = program(tmp_path, "echo.py", ECHO)
    stdin = program(tmp_path, "input.txt", "from a file\n")
    done = await crh("run", str(source), "--stdin", str(stdin), "--", "x", "y z", env=cli_env)
    assert done.code == 3, done.stderr
    assert done.stdout == "to stdout\n['x', 'y z']\nfrom a file\n"
    # stderr is no terminal here: the program's stderr only, no progress line.
    assert done.stderr == "to stderr\n"


async def test_verdicts_have_exit_codes_of_their_own(cli_env: dict[str, str], tmp_path: Path) -> None:
    broken = program(tmp_path, "broken.c", "int main( { return 0; }\n")
    compile_error = await crh("run", str(broken), env=cli_env)
    assert compile_error.code == 120
    assert "error" in compile_error.stderr
    assert compile_error.stdout == ""

    killed = program(tmp_path, "killed.py", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert (await crh("run", str(killed), env=cli_env)).code == 128 + 15

    spinning = program(tmp_path, "spin.py", "while True:\n    pass\n")
    time_limit = await crh("run", str(spinning), env=cli_env)
    assert time_limit.code == 124
    assert "time_limit" in time_limit.stderr

    ok = program(tmp_path, "ok.js", "console.log('node ' + (1 + 1))\n")
    done = await crh("run", str(ok), env=cli_env)
    assert (done.code, done.stdout) == (0, "node 2\n")


async def test_json_prints_the_finished_execution(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = program(tmp_path, "script", "import sys\nprint('json', sys.argv[1])\nsys.exit(4)\n")
    done = await crh("run", "--lang", "python", "--json", str(source), "--", "arg", env=cli_env)
    assert done.code == 4
    execution = json.loads(done.stdout)
    assert execution["status"] == "finished"
    assert execution["verdict"] == "runtime_error"
    assert execution["run"]["stdout"] == "json arg\n"
    assert execution["run"]["exit_code"] == 4


async def test_usage_and_api_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    unknown = program(tmp_path, "notes.unknown-extension", "text")
    guessed = await crh("run", str(unknown), env=cli_env)
    assert guessed.code == 2
    assert "--lang" in guessed.stderr

    refused = await crh("run", "--lang", "no-such-language", str(unknown), env=cli_env)
    assert refused.code == 3
    assert "422" in refused.stderr
    assert "language" in refused.stderr

    missing = await crh("run", str(tmp_path / "missing.py"), env=cli_env)
    assert missing.code == 2

    unreachable = await crh("--url", "http://127.0.0.1:9", "languages", env=cli_env)
    assert unreachable.code == 3

    # History needs an account: anonymous is a 401, CRH_API_KEY makes it the key's.
    anonymous = await crh("history", env=cli_env)
    assert anonymous.code == 3
    assert "401" in anonymous.stderr


async def test_the_key_may_come_from_the_environment(cli_env: dict[str, str], api_key: str, tmp_path: Path) -> None:
    env = {**cli_env, "CRH_API_KEY": api_key}
    source = program(tmp_path, "mine.py", "print('mine')")
    ran = json.loads((await crh("run", "--json", str(source), env=env)).stdout)
    history = await crh("history", "--json", env=env)
    assert history.code == 0
    assert ran["id"] in [item["id"] for item in json.loads(history.stdout)["items"]]


async def test_config_history_and_snippets_with_a_key(
    cli_env: dict[str, str], tmp_path: Path, api_key: str, url: str
) -> None:
    assert (await crh("config", "set-key", api_key, env=cli_env)).code == 0
    path = Path(cli_env["XDG_CONFIG_HOME"]) / "coderunhub" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["api_key"] == api_key
    shown = await crh("config", env=cli_env)
    assert api_key not in shown.stdout

    languages = await crh("languages", env=cli_env)
    assert languages.code == 0
    assert any(line.split()[:1] == ["python"] for line in languages.stdout.splitlines())

    source = program(tmp_path, "hi.py", "import sys\nprint('hi', *sys.argv[1:])\n")
    ran = json.loads((await crh("run", "--json", str(source), env=cli_env)).stdout)
    history = await crh("history", "--limit", "5", env=cli_env)
    assert history.code == 0
    assert ran["id"] in history.stdout

    saved = await crh("snippet", "save", str(source), "--title", "CLI snippet", env=cli_env)
    assert saved.code == 0, saved.stderr
    snippet_id = saved.stdout.strip()
    run = await crh("snippet", "run", snippet_id, "--", "there", env=cli_env)
    assert (run.code, run.stdout) == (0, "hi there\n")
    shared = await crh("snippet", "share", snippet_id, env=cli_env)
    link = shared.stdout.strip()
    assert link.startswith(url + "/v1/snippets/shared/")
    async with httpx.AsyncClient() as anyone:
        opened = await anyone.get(link)
    assert opened.status_code == 200
    assert opened.json()["title"] == "CLI snippet"


async def test_login_by_phone_saves_an_api_key(cli_env: dict[str, str], auth: AuthService, twilio: FakeTwilio) -> None:
    phone = fresh_phone("628")
    proc = await asyncio.create_subprocess_exec(
        str(CRH),
        "login",
        env={**cli_env, "CRH_AUTH_URL": auth.url},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(f"{phone}\n".encode())
    await proc.stdin.drain()
    for _ in range(int(WAIT_S * 10)):
        if phone in twilio.codes:
            break
        await asyncio.sleep(0.1)
    proc.stdin.write(f"{twilio.codes[phone]}\n".encode())
    await proc.stdin.drain()
    proc.stdin.close()
    out, err = await asyncio.wait_for(proc.communicate(), WAIT_S)
    assert proc.returncode == 0, err.decode()
    assert f"Signed in as {phone}" in out.decode()

    path = Path(cli_env["XDG_CONFIG_HOME"]) / "coderunhub" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = json.loads(path.read_text())["api_key"]
    assert key.startswith("crh_")
    # The saved key is the user's: their history is readable with it.
    assert (await crh("history", env=cli_env)).code == 0


async def test_interrupting_crh_run_cancels_the_execution(
    cli_env: dict[str, str], tmp_path: Path, api_key: str, url: str
) -> None:
    source = program(tmp_path, "sleeper.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    proc = await asyncio.create_subprocess_exec(
        str(CRH),
        "run",
        str(source),
        env={**cli_env, "CRH_API_KEY": api_key},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), WAIT_S) == b"started\n"
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.wait(), WAIT_S)
    assert proc.returncode == 130
    async with AsyncClient(url, api_key=api_key) as sdk:
        latest = (await sdk.list_executions(limit=1)).items[0]
        final = await sdk.wait(latest, timeout_s=WAIT_S)
    assert final.verdict == "cancelled"
