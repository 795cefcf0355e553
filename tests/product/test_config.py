"""GET /v1/config: what each class of caller may ask for, from the settings the gateway runs with."""

from __future__ import annotations

import httpx

from tests.auth_support import AuthService, bearer
from tests.conftest import gateway_settings
from tests.product.conftest import MakeAccount, gateway


async def test_config_reports_each_class_and_the_callers(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    anonymous = await gw.get("/v1/config")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["caller"] == "anonymous"
    assert set(body["classes"]) == {"anonymous", "account"}
    account = body["classes"]["account"]
    settings = gateway_settings()
    cpu = settings.limits.cpu_time_ms
    assert account["run_limits"]["cpu_time_ms"] == cpu.model_dump()
    assert account["rate_limits"]["executions"] == settings.user_rate_limits.executions
    assert body["classes"]["anonymous"]["rate_limits"]["executions"] == settings.anonymous_rate_limits.executions
    assert body["sizes"]["max_files"] == settings.max_files
    assert body["sizes"]["batch_max_size"] == settings.batch_max_size
    me = await make_account()
    assert (await gw.get("/v1/config", headers=me.headers)).json()["caller"] == "account"
    assert (await gw.get("/v1/config", headers=bearer("crh_nope"))).status_code == 401


async def test_config_follows_the_settings(auth: AuthService) -> None:
    tight = {"default": 1_000, "minimum": 50, "maximum": 2_000}
    overrides = {"anonymous_enabled": False, "max_files": 7, "wait_timeout_s": 12.5}
    async with gateway(auth, anonymous_limits={"cpu_time_ms": tight}, **overrides) as client:
        body = (await client.get("/v1/config")).json()
    assert body["anonymous_enabled"] is False
    assert body["sizes"]["max_files"] == 7
    assert body["wait_timeout_s"] == 12.5
    assert body["classes"]["anonymous"]["run_limits"]["cpu_time_ms"] == tight
    assert body["classes"]["account"]["run_limits"]["cpu_time_ms"]["maximum"] == 20_000
