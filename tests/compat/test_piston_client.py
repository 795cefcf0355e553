"""The published Piston client (piston-client 1.0.2 from npm, unmodified: tests/clients/piston)
runs code through /api/v2 as it would against Piston: it lists the runtimes, picks a version from
them, and posts its JSON as text/plain."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests/clients/piston"


async def check(server: str) -> dict[str, Any]:
    """check.mjs off the event loop (the gateway under test is served by this very loop)."""
    done = await asyncio.to_thread(
        subprocess.run,
        ["node", "check.mjs", server],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"check.mjs failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


async def test_piston_client_runs_code(gw: httpx.AsyncClient) -> None:
    assert (CLIENT / "node_modules/piston-client/index.js").is_file(), "run `make compat-clients`"
    result = await check(str(gw.base_url).rstrip("/"))

    runtimes = result["runtimes"]
    assert runtimes == (await gw.get("/api/v2/runtimes")).json()
    # The client picks the greatest version (as strings) among the runtimes named exactly so.
    python = max(entry["version"] for entry in runtimes if entry["language"] == "python")
    c = max(entry["version"] for entry in runtimes if entry["language"] == "c")

    echo = result["echo"]
    assert (echo["language"], echo["version"]) == ("python", python)
    assert echo["run"]["stdout"] == "'from stdin\\n' ['x', 'y']\n"
    assert (echo["run"]["code"], echo["run"]["status"]) == (0, None)
    # Its default arguments.
    assert result["defaults"]["run"]["stdout"] == "['1', '2', '3']\n"

    compile_error = result["compileError"]
    assert (compile_error["language"], compile_error["version"]) == ("c", c)
    assert compile_error["compile"]["code"] not in (0, None)
    assert compile_error["compile"]["status"] == "RE"
    assert compile_error["run"] == compile_error["compile"]

    runtime_error = result["runtimeError"]["run"]
    assert (runtime_error["code"], runtime_error["signal"], runtime_error["status"]) == (1, None, "RE")
    assert "ValueError: boom" in runtime_error["stderr"]
