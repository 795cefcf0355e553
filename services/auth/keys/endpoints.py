from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.auth.deps import StateDep, UserDep
from shared.auth.scopes import Role
from shared.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(prefix="/auth/v1", tags=["keys"])


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(state: StateDep) -> dict[str, Any]:
    return state.keys.jwks()


class RotatedOut(BaseModel):
    kid: str


@router.post("/keys/rotate", response_model=RotatedOut, responses=PROBLEM_RESPONSES, summary="Rotate the signing key")
async def rotate(user: UserDep, state: StateDep) -> RotatedOut:
    """Admins only. Tokens signed with earlier keys stay valid until they expire."""
    if user.role != Role.admin:
        raise ProblemError(403, "forbidden", "Forbidden", "Only administrators rotate keys.")
    return RotatedOut(kid=await state.keys.rotate())
