"""Judge0's and Piston's shapes spend the same budgets as the native API: one window of
executions for a caller whichever API it uses, refusals in each API's error shape with
Retry-After, nothing persisted when refused, and reads charged as reads."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService
from tests.product.conftest import executions_count, gateway

NATIVE = {"language": "python", "source": "print(1)"}
JUDGE0 = {"source_code": "print(1)", "language_id": 71}
PISTON = {"language": "python", "version": "*", "files": [{"content": "print(1)"}]}


async def test_one_budget_across_the_apis(
    auth: AuthService, executor: object, fresh_limits: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tiny = RateLimitPolicy(executions="3/minute", reads="50/minute", writes="50/minute", max_in_flight=100)
    async with gateway(auth, anonymous_rate_limits=tiny) as client:
        assert (await client.post("/v1/executions", json=NATIVE)).status_code == 202
        judge0 = await client.post("/judge0/submissions", json=JUDGE0)
        assert judge0.status_code == 201
        assert judge0.headers["RateLimit-Remaining"] == "1"
        piston = await client.post("/api/v2/execute", json=PISTON)
        assert piston.status_code == 200, piston.text
        assert piston.headers["RateLimit-Remaining"] == "0"

        before = await executions_count(sessions)
        refusals: list[httpx.Response] = [
            await client.post("/v1/executions", json=NATIVE),
            await client.post("/judge0/submissions", json=JUDGE0),
            await client.post("/judge0/submissions/batch", json={"submissions": [JUDGE0, JUDGE0]}),
            await client.post("/api/v2/execute", json=PISTON),
        ]
        assert [r.status_code for r in refusals] == [429, 429, 429, 429]
        assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refusals)
        assert set(refusals[1].json()) == {"error"}
        assert set(refusals[2].json()) == {"error"}
        assert set(refusals[3].json()) == {"message"}
        assert await executions_count(sessions) == before

        # Reads through the other shapes spend the reads budget, not the executions one.
        token = judge0.json()["token"]
        read = await client.get(f"/judge0/submissions/{token}")
        assert read.status_code == 200
        assert read.headers["RateLimit-Policy"] == '"reads";q=50;w=60'
        runtimes = await client.get("/api/v2/runtimes")
        assert runtimes.headers["RateLimit-Policy"] == '"reads";q=50;w=60'
