"""Webhook secrets and the checks a callback URL passes at submission.

The executor checks the destination again when it delivers (names may resolve differently by
then); these checks make a bad URL a clear 422 instead of a `refused` delivery later.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.webhooks import repository as repo
from shared.db.models import WebhookSecret
from shared.problems import ValidationProblem
from shared.settings import GatewaySettings
from shared.webhooks import (
    IPNetwork,
    UrlRefused,
    check_callback_url,
    new_secret,
    parse_networks,
    resolve_destination,
)

ANONYMOUS_CALLBACK = "webhooks need an account: sign in or use an API key"


def _allowed(settings: GatewaySettings) -> tuple[IPNetwork, ...]:
    return parse_networks(str(network) for network in settings.webhook_allowed_networks)


def callback_problem(url: str, user_id: uuid.UUID | None, settings: GatewaySettings) -> str | None:
    """What is wrong with a callback URL, short of resolving its host; None if nothing."""
    if user_id is None:
        return ANONYMOUS_CALLBACK
    try:
        check_callback_url(url, _allowed(settings))
    except UrlRefused as exc:
        return str(exc)
    return None


async def vet_callback(url: str | None, settings: GatewaySettings) -> None:
    """Resolve a (well-formed) callback URL's host: every address must be allowed. 422 otherwise."""
    if url is None:
        return
    try:
        allowed = _allowed(settings)
        callback = check_callback_url(url, allowed)
        if callback.literal is None:
            await resolve_destination(callback, allowed, timeout_s=settings.webhook_resolve_timeout_s)
    except UrlRefused as exc:
        raise ValidationProblem.for_field(["callback_url"], str(exc), "callback_url_refused") from None


async def secret_of(session: AsyncSession, user_id: uuid.UUID) -> WebhookSecret:
    return await repo.get_or_create_secret(session, user_id, new_secret())


async def rotate_secret(session: AsyncSession, user_id: uuid.UUID) -> WebhookSecret:
    return await repo.replace_secret(session, user_id, new_secret(), datetime.now(UTC))
