"""Delivering and checking one-time codes: Twilio Verify in production, and a development
provider (used only when Twilio is not configured, outside production) that logs the code."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from typing import Protocol

from aiohttp import ClientError
from redis.asyncio import Redis
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from shared.redis_keys import otp_key

logger = logging.getLogger("coderunhub.auth.otp")


class OtpUnavailable(Exception):
    """The provider could not send or check (down, misconfigured, rate limited upstream)."""

    def __init__(self, message: str, retry_after_s: int = 30) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OtpExhausted(Exception):
    """The provider refuses more sends or checks for this number until its verification expires."""


class OtpUndeliverable(Exception):
    """The number cannot receive codes (a landline, an invalid or a blocked destination)."""


class OtpProvider(Protocol):
    name: str

    async def send(self, phone: str) -> None: ...

    async def check(self, phone: str, code: str) -> bool: ...

    async def close(self) -> None: ...


# Twilio Verify's own limits on one verification (max send / check attempts reached): the
# person, not Twilio, must wait; the verification expires within 10 minutes.
TWILIO_EXHAUSTED = {60202, 60203}
TWILIO_EXHAUSTED_WAIT_S = 600
# Twilio Verify refusing the destination itself (invalid parameter, a landline without SMS, a
# blocked prefix): the person's number, not an outage; retrying will not help.
TWILIO_UNDELIVERABLE = {60200, 60205, 60410}
TWILIO_TIMEOUT_S = 10.0
# Twilio does not say how long its own rate limit lasts; clients retry after this.
TWILIO_RETRY_AFTER_S = 30


def _status(exc: Exception) -> int | None:
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        return int(exc.status)
    return None


def _failure(action: str, exc: Exception) -> Exception:
    """Twilio's refusal as what the phone service answers: the person waits, or we are unavailable."""
    status = _status(exc)
    code = getattr(exc, "code", None)
    message = getattr(exc, "msg", None) or getattr(exc, "title", None) or type(exc).__name__
    logger.warning("Twilio Verify could not %s: %s %s %s", action, status, code, message)
    if status == 429 and code in TWILIO_EXHAUSTED:
        return OtpExhausted(str(message))
    if status in (400, 403) and code in TWILIO_UNDELIVERABLE:
        return OtpUndeliverable(str(message))
    return OtpUnavailable(str(message), TWILIO_RETRY_AFTER_S)


class TwilioVerifyProvider:
    name = "twilio-verify"

    def __init__(self, account_sid: str, auth_token: str, service_sid: str, base_url: str) -> None:
        self._client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
        # The Verify API's base address is a setting: tests point it at a local Verify server.
        self._client.verify.base_url = base_url.rstrip("/")
        self._service = self._client.verify.v2.services(service_sid)

    async def send(self, phone: str) -> None:
        try:
            async with asyncio.timeout(TWILIO_TIMEOUT_S):
                await self._service.verifications.create_async(to=phone, channel="sms")
        except (TwilioException, ClientError, TimeoutError) as exc:
            raise _failure("send", exc) from exc

    async def check(self, phone: str, code: str) -> bool:
        try:
            async with asyncio.timeout(TWILIO_TIMEOUT_S):
                result = await self._service.verification_checks.create_async(to=phone, code=code)
        except (TwilioException, ClientError, TimeoutError) as exc:
            if _status(exc) == 404:
                return False  # no pending verification: expired, or approved already
            raise _failure("check", exc) from exc
        # Anything but approved (pending: a wrong code; expired, canceled...) is a refusal.
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
