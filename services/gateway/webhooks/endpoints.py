from __future__ import annotations

from fastapi import APIRouter

from services.gateway.auth.access import AccountRead, AccountSession
from services.gateway.deps import SessionDep
from services.gateway.webhooks import service
from services.gateway.webhooks.schemas import WebhookSecretOut
from shared.db.models import WebhookSecret
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

AUTH_RESPONSES = problem_responses(401, 403)


def _out(secret: WebhookSecret) -> WebhookSecretOut:
    return WebhookSecretOut(secret=secret.secret, created_at=secret.created_at, rotated_at=secret.rotated_at)


@router.get(
    "/secret",
    response_model=WebhookSecretOut,
    summary="Show my webhook signing secret",
    description="The secret signing the webhooks of your executions (created on first use). "
    "API keys need the `account:read` scope. See docs/api.md for how to verify a signature.",
    responses=AUTH_RESPONSES,
)
async def get_webhook_secret(principal: AccountRead, session: SessionDep) -> WebhookSecretOut:
    assert principal.user_id is not None
    secret = await service.secret_of(session, principal.user_id)
    await session.commit()
    return _out(secret)


@router.post(
    "/secret/rotate",
    response_model=WebhookSecretOut,
    summary="Replace my webhook signing secret",
    description="A new secret signs every webhook sent from now on, including retries of earlier ones. "
    "Needs a signed-in session (not an API key).",
    responses=AUTH_RESPONSES,
)
async def rotate_webhook_secret(principal: AccountSession, session: SessionDep) -> WebhookSecretOut:
    assert principal.user_id is not None
    secret = await service.rotate_secret(session, principal.user_id)
    await session.commit()
    return _out(secret)
