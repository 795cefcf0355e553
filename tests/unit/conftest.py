"""tests/unit is the fast layer (`make unit`): pure logic, no Docker, PostgreSQL or Redis. A test
here that asks for one of the suite's real-component fixtures belongs elsewhere: collection fails
instead of the layer silently growing slow."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# tests/conftest.py's and tests/auth_support.py's fixtures that start or reach a real component.
REAL_COMPONENTS = frozenset(
    {"database", "redis_client", "sessions", "executor", "gateway_url", "api", "anonymous_api", "nothing_queued"}
    | {"twilio", "providers", "auth", "gateway"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        needs = sorted(REAL_COMPONENTS.intersection(getattr(item, "fixturenames", ())))
        if needs:
            raise pytest.UsageError(
                f"{item.nodeid} needs {', '.join(needs)}: not a unit test, move it out of tests/unit"
            )
