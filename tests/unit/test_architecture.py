"""Services meet only in shared/ and in Redis/HTTP contracts: no service imports another."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "executor", "auth")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_service_imports_another() -> None:
    for service in SERVICES:
        for path in (ROOT / "services" / service).rglob("*.py"):
            for module in imported_modules(path):
                for other in SERVICES:
                    if other != service:
                        assert not module.startswith(f"services.{other}"), f"{path} imports {module}"


def test_shared_imports_no_service() -> None:
    for path in (ROOT / "shared").rglob("*.py"):
        assert not any(m.startswith("services") for m in imported_modules(path)), path
