"""Phone sign-in: numbers normalised to E.164; sends and guesses limited per number and per
client address. Answers never depend on whether an account exists for the number.

Nothing here commits; the endpoints own that boundary."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import cast

import phonenumbers
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth.phone.providers import (
    TWILIO_EXHAUSTED_WAIT_S,
    OtpExhausted,
    OtpProvider,
    OtpUnavailable,
    OtpUndeliverable,
)
from services.auth.tokens.service import TokenPair, TokenService
from services.auth.users.service import sign_in
from shared.problems import ProblemError, ValidationProblem
from shared.redis_keys import otp_key
from shared.settings import AuthSettings

CODE = re.compile(r"^[0-9]{4,10}$")


def normalise(raw: str, region: str | None = None) -> str:
    """The number in E.164. ``region`` (ISO 3166-1 alpha-2) says whose national format a number
    without its +country code is in; a number starting with + ignores it."""
    if region is not None:
        region = region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationProblem.for_field(["region"], f"not a country phonenumbers knows: {region!r}", "region")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            # phonenumbers says "Missing or invalid default region": say what the person can do.
            message = (
                "this number has no country code: start it with + and its country code (+1 415 555 0163), "
                "or say which country it is in (region)"
                if region is None
                else "the country code after + is not one in use"
            )
            raise ValidationProblem.for_field(["phone"], message, "phone") from exc
        raise ValidationProblem.for_field(["phone"], "not a phone number", "phone") from exc
    if not phonenumbers.is_valid_number(number):
        where = f" in {region}" if region and not raw.lstrip().startswith("+") else ""
        raise ValidationProblem.for_field(["phone"], f"not a valid phone number{where}", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _too_many(detail: str, retry_after: int) -> ProblemError:
    return ProblemError(
        429, "too-many-requests", "Too many requests", detail, headers={"Retry-After": str(retry_after)}
    )


def _unavailable(title: str, exc: OtpUnavailable) -> ProblemError:
    return ProblemError(503, "otp-unavailable", title, str(exc), headers={"Retry-After": str(exc.retry_after_s)})


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
            raise _unavailable("Codes cannot be sent right now", exc) from exc
        except OtpExhausted as exc:
            raise _too_many("Too many codes were requested for this number.", TWILIO_EXHAUSTED_WAIT_S) from exc
        except OtpUndeliverable as exc:
            # Nothing was sent: no cooldown for another number's attempt at the same one.
            await self._redis.delete(cooldown)
            raise ValidationProblem.for_field(["phone"], "this number cannot receive codes by SMS", "phone") from exc

    async def verify(self, phone: str, code: str) -> None:
        """Raises unless the code is right; too many guesses refuse even the right one."""
        settings = self._settings
        if not CODE.match(code):
            raise ValidationProblem.for_field(["code"], "4 to 10 digits", "code")
        attempts = await self._count(otp_key("attempts", phone), settings.otp_window_s)
        if attempts > settings.otp_max_attempts:
            raise _too_many("Too many wrong codes for this number; request a new code later.", settings.otp_window_s)
        try:
            ok = await self.provider.check(phone, code)
        except OtpUnavailable as exc:
            raise _unavailable("Codes cannot be checked right now", exc) from exc
        except OtpExhausted as exc:
            raise _too_many(
                "Too many wrong codes for this number; request a new code later.", TWILIO_EXHAUSTED_WAIT_S
            ) from exc
        if not ok:
            raise ProblemError(401, "invalid-code", "Invalid code", "The code is wrong or has expired.")
        await self._redis.delete(otp_key("attempts", phone))

    async def sign_in(self, session: AsyncSession, tokens: TokenService, phone: str, code: str) -> TokenPair:
        """The code checked, the number's user (the first sign-in creates it) gets a session."""
        await self.verify(phone, code)
        user = await sign_in(session, "phone", phone, phone=phone, admins=self._settings.admins)
        return await tokens.issue(session, user)
