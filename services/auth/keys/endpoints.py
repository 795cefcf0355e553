from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.auth.deps import StateDep, UserDep
from services.auth.keys.schemas import RotatedOut
from services.auth.keys.service import rotate_as
from services.auth.openapi import ADMIN_CHANGE

router = APIRouter(prefix="/auth/v1", tags=["keys"])


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(state: StateDep) -> dict[str, Any]:
    return state.keys.jwks()


@router.post("/keys/rotate", response_model=RotatedOut, responses=ADMIN_CHANGE, summary="Rotate the signing key")
async def rotate(user: UserDep, state: StateDep) -> RotatedOut:
    """Admins only. Tokens signed with earlier keys stay valid until they expire."""
    return RotatedOut(kid=await rotate_as(state.keys, user))
