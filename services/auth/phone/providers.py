"""Delivering and checking one-time codes: Twilio Verify in production, and a development
provider (used only when Twilio is not configured, outside production) that logs the code."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Protocol

from redis.asyncio import Redis
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from shared.redis_keys import otp_key

logger = logging.getLogger("coderunhub.auth.otp")


class OtpUnavailable(Exception):
    """The provider could not send or check (down, misconfigured, rate limited upstream)."""


class OtpProvider(Protocol):
    name: str

    async def send(self, phone: str) -> None: ...

    async def check(self, phone: str, code: str) -> bool: ...

    async def close(self) -> None: ...


class TwilioVerifyProvider:
    name = "twilio-verify"

    def __init__(self, account_sid: str, auth_token: str, service_sid: str, base_url: str) -> None:
        self._client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
        # The Verify API's base address is a setting: tests point it at a local Verify server.
        self._client.verify.base_url = base_url.rstrip("/")
        self._service = self._client.verify.v2.services(service_sid)

    async def send(self, phone: str) -> None:
        try:
            await self._service.verifications.create_async(to=phone, channel="sms")
        except TwilioRestException as exc:
            logger.warning("Twilio Verify refused to send: %s %s", exc.status, exc.msg)
            raise OtpUnavailable(str(exc.msg)) from exc

    async def check(self, phone: str, code: str) -> bool:
        try:
            result = await self._service.verification_checks.create_async(to=phone, code=code)
        except TwilioRestException as exc:
            if exc.status == 404:
                return False  # no pending verification: expired, or approved already
            raise OtpUnavailable(str(exc.msg)) from exc
        return bool(result.status == "approved")

    async def close(self) -> None:
        http = self._client.http_client
        if isinstance(http, AsyncTwilioHttpClient):
            await http.close()


class DevelopmentProvider:
    """Not a delivery channel: the code goes to the auth service's log, clearly marked."""

    name = "development"

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    @staticmethod
    def _key(phone: str) -> str:
        return otp_key("dev", phone)

    async def send(self, phone: str) -> None:
        code = f"{secrets.randbelow(1_000_000):06d}"
        await self._redis.set(self._key(phone), hashlib.sha256(code.encode()).hexdigest(), ex=self._ttl_s)
        logger.warning("DEVELOPMENT OTP PROVIDER (nothing was sent): code for %s is %s", phone, code)

    async def check(self, phone: str, code: str) -> bool:
        stored = await self._redis.get(self._key(phone))
        if stored is None:
            return False
        ok = hmac.compare_digest(stored.decode(), hashlib.sha256(code.encode()).hexdigest())
        if ok:
            await self._redis.delete(self._key(phone))
        return ok

    async def close(self) -> None:
        return None
