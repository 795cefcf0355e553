"""Phone sign-in: numbers normalised to E.164; sends and guesses limited per number and per
client address. Answers never depend on whether an account exists for the number."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import cast

import phonenumbers
from redis.asyncio import Redis

from services.auth.phone.providers import OtpProvider, OtpUnavailable
from shared.problems import FieldError, ProblemError, ValidationProblem
from shared.redis_keys import otp_key
from shared.settings import AuthSettings

CODE = re.compile(r"^[0-9]{4,10}$")


def normalise(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationProblem(
            [FieldError(loc=["body", "phone"], msg=f"not a phone number: {exc}", type="phone")]
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationProblem([FieldError(loc=["body", "phone"], msg="not a valid phone number", type="phone")])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _too_many(detail: str, retry_after: int) -> ProblemError:
    return ProblemError(
        429, "too-many-requests", "Too many requests", detail, headers={"Retry-After": str(retry_after)}
    )


class PhoneService:
    def __init__(self, redis: Redis, provider: OtpProvider, settings: AuthSettings) -> None:
        self._redis = redis
        self.provider = provider
        self._settings = settings

    async def _count(self, key: str, window_s: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def start(self, phone: str, client_address: str) -> None:
        settings = self._settings
        cooldown = otp_key("cooldown", phone)
        if not await self._redis.set(cooldown, b"1", nx=True, ex=settings.otp_resend_cooldown_s):
            ttl = await cast(Awaitable[int], self._redis.ttl(cooldown))
            raise _too_many("A code was sent to this number moments ago.", max(ttl, 1))
        if await self._count(otp_key("starts", phone), 3600) > settings.otp_starts_per_hour:
            raise _too_many("Too many codes were requested for this number.", 3600)
        if await self._count(otp_key("address", client_address), 3600) > settings.otp_starts_per_address_per_hour:
            raise _too_many("Too many codes were requested from this address.", 3600)
        try:
            await self.provider.send(phone)
        except OtpUnavailable as exc:
            await self._redis.delete(cooldown)
            raise ProblemError(503, "otp-unavailable", "Codes cannot be sent right now", str(exc)) from exc

    async def verify(self, phone: str, code: str) -> None:
        """Raises unless the code is right; too many guesses refuse even the right one."""
        settings = self._settings
        if not CODE.match(code):
            raise ValidationProblem([FieldError(loc=["body", "code"], msg="4 to 10 digits", type="code")])
        attempts = await self._count(otp_key("attempts", phone), settings.otp_window_s)
        if attempts > settings.otp_max_attempts:
            raise _too_many("Too many wrong codes for this number; request a new code later.", settings.otp_window_s)
        try:
            ok = await self.provider.check(phone, code)
        except OtpUnavailable as exc:
            raise ProblemError(503, "otp-unavailable", "Codes cannot be checked right now", str(exc)) from exc
        if not ok:
            raise ProblemError(401, "invalid-code", "Invalid code", "The code is wrong or has expired.")
        await self._redis.delete(otp_key("attempts", phone))
