"""``?wait=true`` that ends before the execution does: 202 with the current state, where to look
again (Location) and when (Retry-After)."""

from __future__ import annotations

from typing import Any

from tests.auth_support import AuthService
from tests.product.conftest import gateway


async def test_a_wait_that_ends_first_says_where_and_when_to_look_again(auth: AuthService, executor: Any) -> None:
    async with gateway(auth, wait_timeout_s=0.5) as short:
        sleeper = {"language": "python", "source": "import time\ntime.sleep(3)"}
        response = await short.post("/v1/executions", params={"wait": "true"}, json=sleeper)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] in ("queued", "running")
        assert response.headers["Retry-After"] == "1"
        assert response.headers["Location"] == f"/v1/executions/{body['id']}"
