"""The published Judge0 Python SDK (judge0 0.0.8, installed unmodified by `make compat-clients`)
against /judge0: a program with stdin, a compile error, a runtime error, a batch and a judged
submission, with an API key in X-Auth-Token; what it ran shows in the account's history."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.auth_support import AuthService, bearer
from tests.compat.test_judge0 import api_key
from tests.product.conftest import MakeAccount

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / "build/judge0-sdk/bin/python"
CHECK = ROOT / "tests/clients/judge0/check.py"


async def drive(endpoint: str, key: str) -> dict[str, Any]:
    # Off the event loop: the gateway under test is served by this very loop.
    done = await asyncio.to_thread(
        subprocess.run,
        [str(SDK_PYTHON), str(CHECK), endpoint, key],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


async def test_the_judge0_sdk_runs_unmodified(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    me = await make_account()
    key = await api_key(auth, me.headers, "executions:read", "executions:write")
    seen = await drive(str(gw.base_url).rstrip("/") + "/judge0", key)

    assert seen["version"] == "1.13.1"
    assert seen["languages"] > 40
    assert seen["stdin"]["status"] == 3
    assert seen["stdin"]["stdout"] == "hi sdk\n"
    assert float(seen["stdin"]["time"]) >= 0
    assert seen["compile_error"]["status"] == 6
    assert "error" in seen["compile_error"]["compile_output"]
    assert seen["compile_error"]["stdout"] is None
    assert seen["runtime_error"]["status"] == 11
    assert seen["runtime_error"]["exit_code"] == 4
    assert [item["stdout"] for item in seen["batch"]] == ["42\n", "js\n", "cpp\n"]
    assert [item["status"] for item in seen["batch"]] == [3, 3, 3]
    assert [item["status"] for item in seen["judged"]] == [3, 4]
    assert [item["stdout"] for item in seen["judged"]] == ["4\n", "10\n"]

    history = await gw.get("/v1/executions", headers=bearer(key), params={"limit": 50})
    ids = {item["id"] for item in history.json()["items"]}
    tokens = [seen["stdin"]["token"], *[item["token"] for item in seen["batch"] + seen["judged"]]]
    assert set(tokens) <= ids
    # And in the account's analytics: the SDK ran Python 5 times, JavaScript, C and C++ once each.
    languages = await gw.get("/v1/analytics/languages", headers=bearer(key))
    counts = {item["language"]: item["count"] for item in languages.json()["items"]}
    assert counts == {"python": 5, "javascript": 1, "c": 1, "cpp": 1}
