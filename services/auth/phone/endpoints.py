from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.auth.deps import SessionDep, StateDep
from services.auth.phone.service import PhoneService, normalise
from services.auth.tokens.schemas import SessionMode, SessionOut, session_response
from services.auth.users.service import sign_in
from shared.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(prefix="/auth/v1/phone", tags=["phone sign-in"])


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(
        max_length=32, examples=["+14155552671"], description="International format (E.164 or readable)."
    )


class StartOut(BaseModel):
    status: str = Field(examples=["pending"])
    phone: str = Field(description="The number, normalised to E.164.")
    provider: str = Field(description="`twilio-verify`, or `development` (codes are only logged).")


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=32)
    code: str = Field(max_length=16)
    session: SessionMode = "token"


def _service(state: StateDep) -> PhoneService:
    if state.phone is None:
        raise ProblemError(503, "phone-disabled", "Phone sign-in is not configured")
    return state.phone


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/start", status_code=status.HTTP_202_ACCEPTED, response_model=StartOut, responses=PROBLEM_RESPONSES)
async def start(body: StartIn, request: Request, state: StateDep) -> StartOut:
    """Send a one-time code. The answer is the same whether or not an account has this number."""
    service = _service(state)
    phone = normalise(body.phone)
    await service.start(phone, client_address(request))
    return StartOut(status="pending", phone=phone, provider=service.provider.name)


@router.post("/verify", response_model=SessionOut, responses=PROBLEM_RESPONSES)
async def verify(
    body: VerifyIn, request: Request, response: Response, state: StateDep, session: SessionDep
) -> SessionOut:
    """Check the code; the first sign-in with a number creates the account."""
    service = _service(state)
    phone = normalise(body.phone)
    await service.verify(phone, body.code)
    user = await sign_in(session, "phone", phone, phone=phone, admins=state.settings.admins)
    pair = await state.tokens.issue(session, user)
    await session.commit()
    return session_response(request, response, pair, body.session, state.settings.refresh_token_ttl_s)
