"""Browser redirects of the OAuth sign-in (the flow itself is in service.py; a browser sees
their errors as a page, see pages.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from services.auth.deps import SessionDep, StateDep
from services.auth.oauth import service
from services.auth.oauth.pages import BrowserPageRoute
from services.auth.openapi import OAUTH_CALLBACK, OAUTH_LOGIN
from services.auth.tokens.cookies import set_session_cookies

router = APIRouter(prefix="/auth/v1/oauth", tags=["oauth sign-in"], route_class=BrowserPageRoute)
REDIRECT_KEY = "crh_redirect_to"


@router.get(
    "/{provider}/login",
    summary="Start signing in with a provider (browser redirect)",
    status_code=302,
    response_class=RedirectResponse,
    responses=OAUTH_LOGIN,
)
async def login(provider: str, request: Request, state: StateDep, redirect_to: str = "/") -> Response:
    client = service.client(state.oauth, provider)
    request.session[REDIRECT_KEY] = service.safe_redirect(redirect_to, state.settings)
    callback = f"{state.settings.public_url}/auth/v1/oauth/{provider}/callback"
    response: Response = await client.authorize_redirect(request, callback)
    return response


@router.get(
    "/{provider}/callback",
    summary="Where the provider sends the browser back",
    status_code=303,
    response_class=RedirectResponse,
    responses=OAUTH_CALLBACK,
)
async def callback(provider: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    client = service.client(state.oauth, provider)
    pair = await service.complete_sign_in(client, provider, request, session, state.tokens, state.settings)
    await session.commit()
    response = RedirectResponse(request.session.pop(REDIRECT_KEY, "/"), status_code=303)
    set_session_cookies(request, response, pair, state.settings.refresh_token_ttl_s)
    return response
