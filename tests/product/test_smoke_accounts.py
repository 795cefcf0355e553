"""The product fixtures themselves: accounts sign in and the gateway knows who they are."""

from __future__ import annotations

import uuid

import httpx

from tests.product.conftest import Account, MakeAccount


async def test_accounts_are_distinct_and_recognised(
    gw: httpx.AsyncClient, make_account: MakeAccount, admin: Account
) -> None:
    first, second = await make_account(), await make_account()
    assert first.id != second.id
    assert admin.user["role"] == "admin"
    for account in (first, second, admin):
        probe = await gw.get(f"/v1/executions/{uuid.uuid4()}", headers=account.headers)
        assert probe.status_code == 404
    refused = await gw.get(f"/v1/executions/{uuid.uuid4()}", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401
