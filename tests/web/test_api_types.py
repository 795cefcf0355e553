"""The web app is a client of the public API: its types (web/src/api/schema.d.ts, committed) are
openapi-typescript's output for the gateway's current OpenAPI document, so an API change that the
app's code does not follow fails `tsc` in `make web` instead of surfacing in a browser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_committed_api_types_match_the_current_openapi_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    exported = subprocess.run(
        [sys.executable, "-m", "services.gateway.openapi"], cwd=ROOT, capture_output=True, check=True
    )
    document.write_bytes(exported.stdout)
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [ROOT / "web/node_modules/.bin/openapi-typescript", document, "-o", generated],
        cwd=ROOT / "web",
        capture_output=True,
        check=True,
        timeout=120,
    )
    committed = (ROOT / "web/src/api/schema.d.ts").read_text()
    assert generated.read_text() == committed, "web/src/api/schema.d.ts is stale: run `make web-api-types`"
