from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from services.auth.deps import SessionDep, StateDep
from services.auth.openapi import PHONE_START, PHONE_VERIFY
from services.auth.phone.schemas import StartIn, StartOut, VerifyIn
from services.auth.phone.service import PhoneService, normalise
from services.auth.state import AuthState
from services.auth.tokens.schemas import SessionOut, session_response
from shared.problems import ProblemError

router = APIRouter(prefix="/auth/v1/phone", tags=["phone sign-in"])


def _service(state: StateDep) -> PhoneService:
    if state.phone is None:
        raise ProblemError(503, "phone-disabled", "Phone sign-in is not configured")
    return state.phone


def _region(region: str | None, state: AuthState) -> str | None:
    """The request's region, else the service's default (none: numbers need their +country code)."""
    return region or state.settings.default_phone_region or None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/start", status_code=status.HTTP_202_ACCEPTED, response_model=StartOut, responses=PHONE_START)
async def start(body: StartIn, request: Request, state: StateDep) -> StartOut:
    """Send a one-time code. The answer is the same whether or not an account has this number."""
    service = _service(state)
    phone = normalise(body.phone, _region(body.region, state))
    await service.start(phone, client_address(request))
    return StartOut(status="pending", phone=phone, provider=service.provider.name)


@router.post("/verify", response_model=SessionOut, responses=PHONE_VERIFY)
async def verify(
    body: VerifyIn, request: Request, response: Response, state: StateDep, session: SessionDep
) -> SessionOut:
    """Check the code; the first sign-in with a number creates the account."""
    pair = await _service(state).sign_in(
        session, state.tokens, normalise(body.phone, _region(body.region, state)), body.code
    )
    await session.commit()
    return session_response(request, response, pair, body.session, state.settings.refresh_token_ttl_s)
