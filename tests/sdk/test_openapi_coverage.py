"""The SDK keeps up with the API: checked against the LIVE /openapi.json of a served gateway.

- every /v1 operation is served by an SDK method (coderunhub.operations.COVERED) or listed as
  not covered, with a reason; no entry names an operation the API no longer has;
- every method named there exists on both AsyncClient and Client;
- coderunhub/models.py is what the generator makes of the document, descriptions aside
  (regenerate it as clients/python/README.md says when this fails)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from coderunhub import AsyncClient, Client, models
from coderunhub._codegen import generate
from coderunhub.operations import COVERED, NOT_COVERED

METHODS = ("get", "put", "post", "delete", "patch")


@pytest_asyncio.fixture
async def document(gw: httpx.AsyncClient) -> dict[str, Any]:
    response = await gw.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def v1_operations(document: dict[str, Any]) -> set[str]:
    return {
        operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if method in METHODS
    }


def resolve(root: object, dotted: str) -> object:
    target = root
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


async def test_every_operation_is_covered_or_excused(document: dict[str, Any]) -> None:
    operations = v1_operations(document)
    assert not set(COVERED) & set(NOT_COVERED)
    missing = operations - set(COVERED) - set(NOT_COVERED)
    assert not missing, f"operations the SDK neither covers nor lists in NOT_COVERED: {sorted(missing)}"
    stale = (set(COVERED) | set(NOT_COVERED)) - operations
    assert not stale, f"coderunhub.operations names operations the API does not have: {sorted(stale)}"
    assert all(reason.strip() for reason in NOT_COVERED.values())


async def test_covered_methods_exist_in_both_clients(url: str) -> None:
    async with AsyncClient(url) as asynchronous:
        for dotted in COVERED.values():
            assert inspect.iscoroutinefunction(resolve(asynchronous, dotted)), dotted
    with Client(url) as blocking:
        for dotted in COVERED.values():
            method = resolve(blocking, dotted)
            assert callable(method), dotted
            assert not inspect.iscoroutinefunction(method), dotted


def code_of(module: str) -> str:
    """The module's code without its comments and docstrings: the API's descriptions may be
    reworded without the SDK being out of date; any other difference means it is."""
    tree = ast.parse(module)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            body.pop(0)
    return ast.dump(tree)


async def test_models_match_a_fresh_generation(document: dict[str, Any]) -> None:
    committed = Path(models.__file__).read_text(encoding="utf-8")
    assert code_of(generate(document)) == code_of(committed), (
        "coderunhub/models.py is stale: regenerate it from the gateway's OpenAPI document "
        "(clients/python/src/coderunhub/_codegen.py, see clients/python/README.md)"
    )
