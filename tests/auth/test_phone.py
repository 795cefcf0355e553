"""Phone sign-in with the real twilio SDK against a local Twilio Verify server."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import redis

from services.auth.app import create_app
from shared.redis_keys import otp_key
from tests.auth.fakes import FakeProviders, FakeTwilio
from tests.auth_support import AuthService, auth_settings, fresh_phone, phone_sign_in
from tests.conftest import free_port, serve


async def test_sign_in_with_a_code_creates_the_account_once(auth: AuthService, twilio: FakeTwilio) -> None:
    first = await phone_sign_in(auth, twilio, "+1 (415) 555-2671")
    assert first["user"]["phone"] == "+14155552671"
    assert first["access_token"]
    assert first["refresh_token"]
    me = await auth.client.get("/auth/v1/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert me.json()["id"] == first["user"]["id"]
    # Same number again (after the resend cooldown): same account.
    await asyncio.sleep(auth.state.settings.otp_resend_cooldown_s + 0.1)
    second = await phone_sign_in(auth, twilio, "+14155552671")
    assert second["user"]["id"] == first["user"]["id"]


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1 555 0100 0000 999", ""])
async def test_invalid_numbers_are_422(auth: AuthService, phone: str) -> None:
    response = await auth.client.post("/auth/v1/phone/start", json={"phone": phone})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_start_answers_alike_for_known_and_unknown_numbers(auth: AuthService, twilio: FakeTwilio) -> None:
    await phone_sign_in(auth, twilio, "+447911123456")
    known = await auth.client.post("/auth/v1/phone/start", json={"phone": "+447911123457"})
    unknown = await auth.client.post("/auth/v1/phone/start", json={"phone": "+33612345678"})
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json()) == {"status", "phone", "provider"}
    assert known.json()["provider"] == "twilio-verify"


async def test_resend_cooldown(auth: AuthService) -> None:
    assert (await auth.client.post("/auth/v1/phone/start", json={"phone": "+14155550101"})).status_code == 202
    again = await auth.client.post("/auth/v1/phone/start", json={"phone": "+14155550101"})
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) >= 1


async def test_brute_force_is_stopped_even_for_the_right_code(auth: AuthService, twilio: FakeTwilio) -> None:
    phone = "+14155550102"
    assert (await auth.client.post("/auth/v1/phone/start", json={"phone": phone})).status_code == 202
    right = twilio.codes[phone]
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = []
    for _ in range(auth.state.settings.otp_max_attempts):
        statuses.append(
            (await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": wrong})).status_code
        )
    assert statuses == [401] * auth.state.settings.otp_max_attempts
    checks_before = twilio.checks
    blocked = await auth.client.post("/auth/v1/phone/verify", json={"phone": phone, "code": right})
    assert blocked.status_code == 429
    assert twilio.checks == checks_before, "no further guesses reach Twilio"


async def test_wrong_or_expired_code(auth: AuthService, twilio: FakeTwilio) -> None:
    # No verification pending for this number: Twilio answers 404, we answer 401.
    response = await auth.client.post("/auth/v1/phone/verify", json={"phone": "+14155550199", "code": "123456"})
    assert response.status_code == 401
    malformed = await auth.client.post("/auth/v1/phone/verify", json={"phone": "+14155550199", "code": "12ab"})
    assert malformed.status_code == 422


async def test_development_provider_logs_the_code(database: str, caplog: pytest.LogCaptureFixture) -> None:
    from shared.settings import AuthSettings

    # A number of its own: a fixed one would meet its resend cooldown from an earlier run.
    phone = fresh_phone("415")
    # Other modules' sign-ins from 127.0.0.1 count against the per-address cap in the shared Redis
    # database: not what this test is about.
    app = create_app(AuthSettings(environment="development", otp_starts_per_address_per_hour=1_000_000))
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        with caplog.at_level("WARNING", logger="coderunhub.auth.otp"):
            started = await client.post("/auth/v1/phone/start", json={"phone": phone})
        assert started.status_code == 202, started.text
        assert started.json()["provider"] == "development"
        line = next(r.getMessage() for r in caplog.records if "DEVELOPMENT OTP PROVIDER" in r.getMessage())
        code = line.rsplit(" ", 1)[1]
        verified = await client.post("/auth/v1/phone/verify", json={"phone": phone, "code": code})
        assert verified.status_code == 200


async def test_production_without_twilio_has_no_phone_sign_in(database: str) -> None:
    from services.auth.app import otp_provider
    from shared.settings import AuthSettings

    settings = AuthSettings(
        environment="production", key_encryption_secret="a-real-secret-value", session_secret="another-real-secret"
    )
    assert otp_provider(settings, redis=None) is None  # type: ignore[arg-type]


async def test_one_address_cannot_pump_codes_to_many_numbers(
    twilio: FakeTwilio, providers: FakeProviders, database: str, redis_client: redis.Redis
) -> None:
    redis_client.delete(otp_key("address", "127.0.0.1"))
    port = free_port()
    app = create_app(auth_settings(twilio, providers, port, otp_starts_per_address_per_hour=3))
    async with serve(app, port=port) as url, httpx.AsyncClient(base_url=url) as client:
        statuses = [
            (await client.post("/auth/v1/phone/start", json={"phone": f"+1415552{n:04d}"})).status_code
            for n in range(uuid.uuid4().int % 5000, 5000)[:5]
        ]
    assert statuses == [202, 202, 202, 429, 429]
