from __future__ import annotations

import subprocess

import pytest


@pytest.fixture(autouse=True)
def _executor_running(executor: subprocess.Popen[bytes]) -> None:
    """The corpus runs against the session's real executor."""
