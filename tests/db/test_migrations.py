"""The schema is whatever the migrations build, and the models agree with it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_models_match_migrations(database: str) -> None:
    check = subprocess.run([sys.executable, "-m", "alembic", "check"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_migrations_downgrade_and_upgrade_again(database: str) -> None:
    for step in (["downgrade", "base"], ["upgrade", "head"]):
        run = subprocess.run([sys.executable, "-m", "alembic", *step], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
