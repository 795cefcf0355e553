from __future__ import annotations

from fastapi import APIRouter

from services.gateway.auth.access import CallerOpen
from services.gateway.config.schemas import ConfigOut
from services.gateway.deps import StateDep
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/config", tags=["config"])


@router.get(
    "",
    response_model=ConfigOut,
    summary="What callers may ask for",
    description="Limit ranges (defaults, minimums and maximums of `limits` and `compile_limits`), rate limits and "
    "sizes per caller class, anonymous and account, and which class this request was served as. Credentials are "
    "optional; when sent they must be valid. `GET /v1/limits` reports the caller's current usage.",
    responses=PROBLEM_RESPONSES,
)
async def get_config(state: StateDep, principal: CallerOpen) -> ConfigOut:
    return ConfigOut.build(state.settings, "anonymous" if principal.user_id is None else "account")
