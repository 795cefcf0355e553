"""The OpenAPI document is complete enough for generated clients: a Python client
(openapi-python-client) and a TypeScript one (openapi-typescript + openapi-fetch, compiled with
tsc, run with node) are generated from the LIVE /openapi.json of a served gateway, and each
creates and runs an execution (real executor) and saves a snippet."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.product.conftest import MakeAccount

ROOT = Path(__file__).resolve().parents[2]
PYTHON_CONFIG = ROOT / "tests/clients/python/openapi-python-client.yaml"
PYTHON_OUT = ROOT / "build/clients/python"
TS_DIR = ROOT / "tests/clients/typescript"
PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")
UNKNOWN_ID = "01a21870-0000-7000-8000-000000000000"


async def run(*command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """A command off the event loop (the gateway under test is served by this very loop)."""
    done = await asyncio.to_thread(
        subprocess.run,
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest_asyncio.fixture(scope="module")
async def document(gw: httpx.AsyncClient) -> dict[str, Any]:
    response = await gw.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


class TestDocument:
    async def test_operation_ids_are_unique_snake_case_names(self, document: dict[str, Any]) -> None:
        ids = [operation["operationId"] for _, _, operation in operations(document)]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        for operation_id in ids:
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id), operation_id
        assert {"create_execution", "get_execution", "list_languages", "healthz"} <= set(ids)

    async def test_every_operation_documents_its_problems(self, document: dict[str, Any]) -> None:
        for method, path, operation in operations(document):
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            responses = operation["responses"]
            assert "503" in responses, where
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), where
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert {"404", "422"} <= set(responses), where
            for code, response in responses.items():
                if int(code) >= 400:
                    content = response["content"]
                    assert list(content) == [PROBLEM], (where, code)
                    assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, (where, code)
                    assert content[PROBLEM]["example"]["status"] == int(code), (where, code)
                    assert response["description"], (where, code)
        # FastAPI's own (non-problem) validation error shape is gone.
        assert "HTTPValidationError" not in document["components"]["schemas"]

    async def test_rate_limit_and_retry_headers_are_documented(self, document: dict[str, Any]) -> None:
        create = document["paths"]["/v1/executions"]["post"]["responses"]
        assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(create["429"]["headers"])
        assert "Retry-After" in create["503"]["headers"]

    async def test_security_schemes_and_servers(self, document: dict[str, Any]) -> None:
        schemes = document["components"]["securitySchemes"]
        assert schemes["accessToken"] == {**schemes["accessToken"], "type": "http", "scheme": "bearer"}
        assert schemes["accessToken"]["bearerFormat"] == "JWT"
        assert schemes["apiKey"]["scheme"] == "bearer"
        assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "in": "cookie", "name": "crh_access"}
        # Credentials are optional (anonymous callers are served), except where none are read.
        assert {} in document["security"]
        assert {"accessToken": []} in document["security"]
        paths = document["paths"]
        assert "security" not in paths["/v1/executions"]["post"]
        assert paths["/healthz"]["get"]["security"] == []
        assert document["servers"] == [{"url": "/", "description": "This gateway"}]

    async def test_execution_schemas_have_examples(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        for name in ("ExecutionCreate", "ExecutionOut", "PhaseOut", "LanguageOut", "Problem"):
            assert schemas[name].get("examples"), name
        example = schemas["ExecutionOut"]["examples"][0]
        # (FastAPI drops null values from the document, examples included.)
        assert {"id", "status", "verdict", "limits", "run", "links"} <= set(example)
        assert example["run"]["stdout"] == "hello\n"
        assert schemas["ExecutionCreate"]["examples"][0]["language"] == "python"
        assert document["paths"]["/v1/executions"]["post"]["responses"]["422"]["content"][PROBLEM]["example"]["errors"]

    async def test_the_export_script_prints_the_same_document(self, document: dict[str, Any]) -> None:
        exported = subprocess.run(
            [sys.executable, "-m", "services.gateway.openapi"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert json.loads(exported.stdout)["paths"].keys() == document["paths"].keys()


def import_generated_client() -> ModuleType:
    sys.path.insert(0, str(PYTHON_OUT))
    importlib.invalidate_caches()
    for name in [name for name in sys.modules if name == "crh_client" or name.startswith("crh_client.")]:
        del sys.modules[name]
    return importlib.import_module("crh_client")


async def test_python_client_generated_from_the_live_schema(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    url = str(gw.base_url).rstrip("/")
    shutil.rmtree(PYTHON_OUT, ignore_errors=True)
    PYTHON_OUT.mkdir(parents=True)
    await run(
        Path(sys.executable).parent / "openapi-python-client",
        "generate",
        "--url",
        f"{url}/openapi.json",
        "--config",
        PYTHON_CONFIG,
        "--meta",
        "none",
        "--output-path",
        PYTHON_OUT / "crh_client",
    )
    client_module = import_generated_client()
    create_execution = importlib.import_module("crh_client.api.executions.create_execution")
    get_execution = importlib.import_module("crh_client.api.executions.get_execution")
    create_snippet = importlib.import_module("crh_client.api.snippets.create_snippet")
    get_snippet = importlib.import_module("crh_client.api.snippets.get_snippet")
    models = importlib.import_module("crh_client.models")
    account = await make_account()

    anonymous = client_module.Client(base_url=url, timeout=httpx.Timeout(120))
    async with anonymous:
        ran = await create_execution.asyncio_detailed(
            client=anonymous,
            body=models.ExecutionCreate(language="python", source="print('python', 6 * 7)"),
            wait=True,
        )
        assert ran.status_code == 200, ran.content
        execution = ran.parsed
        assert isinstance(execution, models.ExecutionOut)
        assert execution.status == models.ExecutionStatus.FINISHED
        assert execution.verdict == models.Verdict.OK
        assert execution.run.stdout == "python 42\n"

        # Errors parse into the Problem model.
        missing = await get_execution.asyncio_detailed(UNKNOWN_ID, client=anonymous)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.Problem)
        assert missing.parsed.type_ == "https://coderunhub.dev/problems/not-found"

    signed_in = client_module.AuthenticatedClient(base_url=url, token=account.access_token)
    async with signed_in:
        saved = await create_snippet.asyncio_detailed(
            client=signed_in,
            body=models.SnippetCreate(
                language="python",
                title="Saved from Python",
                files=[models.FileIn(name="main.py", content="print('saved')\n")],
                visibility=models.SnippetCreateVisibility.PRIVATE,
            ),
        )
        assert saved.status_code == 201, saved.content
        snippet = saved.parsed
        assert isinstance(snippet, models.SnippetOut)
        assert snippet.title == "Saved from Python"
        assert [file.name for file in snippet.files] == ["main.py"]
        read = await get_snippet.asyncio_detailed(snippet.id, client=signed_in)
        assert read.status_code == 200
        assert read.parsed.files[0].content == "print('saved')\n"

    # Private: the generated anonymous client gets the documented 404 problem.
    async with client_module.Client(base_url=url) as nobody:
        hidden = await get_snippet.asyncio_detailed(snippet.id, client=nobody)
        assert hidden.status_code == 404
        assert isinstance(hidden.parsed, models.Problem)


async def npm_dependencies() -> None:
    """`npm ci` unless node_modules already matches package-lock.json (the Makefile does the same)."""
    installed = TS_DIR / "node_modules/.installed"
    sources = [TS_DIR / "package.json", TS_DIR / "package-lock.json"]
    if not installed.exists() or any(installed.stat().st_mtime < source.stat().st_mtime for source in sources):
        await run("npm", "ci", "--no-audit", "--no-fund", cwd=TS_DIR)
        installed.touch()


async def test_typescript_client_generated_from_the_live_schema(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    url = str(gw.base_url).rstrip("/")
    await npm_dependencies()
    generated = TS_DIR / "src/generated/schema.d.ts"
    generated.unlink(missing_ok=True)
    shutil.rmtree(TS_DIR / "dist", ignore_errors=True)
    bin_dir = TS_DIR / "node_modules/.bin"
    # Fields with defaults stay optional in request bodies (the flag's default makes them required).
    await run(
        bin_dir / "openapi-typescript",
        f"{url}/openapi.json",
        "-o",
        generated,
        "--default-non-nullable",
        "false",
        cwd=TS_DIR,
    )
    assert "interface paths" in generated.read_text()
    await run(bin_dir / "tsc", "-p", "tsconfig.json", cwd=TS_DIR)

    account = await make_account()
    output = await run(
        "node", "dist/smoke.js", cwd=TS_DIR, env={"CRH_BASE_URL": url, "CRH_TOKEN": account.access_token}
    )
    result = json.loads(output.strip().splitlines()[-1])
    assert result["execution"]["status"] == 200
    assert result["execution"]["verdict"] == "ok"
    assert result["execution"]["stdout"] == "typescript 42\n"
    assert result["execution"]["reread_verdict"] == "ok"
    assert result["snippet"]["status"] == 201
    assert result["snippet"]["title"] == "Saved from TypeScript"
    assert result["snippet"]["visibility"] == "private"
    assert result["snippet"]["files"] == ["main.py"]
    assert result["problem"] == {"status": 404, "type": "https://coderunhub.dev/problems/not-found"}

    # The snippet really is saved, and it is the account's.
    stored = await gw.get(f"/v1/snippets/{result['snippet']['id']}", headers=account.headers)
    assert stored.status_code == 200
    assert stored.json()["owner_id"] == account.id


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
async def test_docs_are_served(gw: httpx.AsyncClient, path: str) -> None:
    response = await gw.get(path)
    assert response.status_code == 200
    assert response.content
