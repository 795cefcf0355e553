"""Collaborative sessions: start one on a snippet, share it (invites, named users), join it.

The live document travels over the session's WebSocket (``links.socket``); these routes manage
who takes part. Writes are charged to the ``writes`` budget like every other write."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.access import SnippetsReadOpen, SnippetsWrite
from services.gateway.collab import access, control, saving, service
from services.gateway.collab.access import TokenHolder
from services.gateway.collab.schemas import (
    InviteCreate,
    InviteOut,
    JoinIn,
    JoinOut,
    ParticipantOut,
    ParticipantPut,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    session_path,
)
from services.gateway.deps import SessionDep, StateDep
from services.gateway.state import GatewayState
from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, PROBLEM_TYPE_BASE, Problem

router = APIRouter(tags=["collab"])


def _problem(status_code: int, slug: str, title: str, detail: str, description: str) -> dict[str, Any]:
    example = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status_code, "detail": detail}
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {"example": example}}}


NOT_OWNER = _problem(
    403,
    "not-owner",
    "Not the owner",
    "Only the session's owner may do this.",
    "The API key lacks the needed scope, or the caller takes part in the session but does not own it",
)
NOT_FOUND = _problem(
    404,
    "not-found",
    "Not found",
    "Collaborative session 0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6 was not found",
    "No such session, or the caller has no place in it",
)
ENDED = _problem(
    409, "collab-session-ended", "Session ended", "The collaborative session has ended.", "The session ended"
)
OWNER_RESPONSES: dict[int | str, dict[str, Any]] = {**PROBLEM_RESPONSES, 403: NOT_OWNER, 404: NOT_FOUND}

SessionId = Annotated[uuid.UUID, Path(description="The collaborative session's id.")]


async def participant_cookie(request: Request, state: StateDep) -> TokenHolder | None:
    """Whom the request's ``crh_collab`` cookie (set by the join) stands for, if anyone."""
    return await access.token_holder(state.redis, request.cookies.get(access.COOKIE))


CookieHolder = Annotated[TokenHolder | None, Depends(participant_cookie)]


async def _committed(session: AsyncSession, state: GatewayState, session_id: uuid.UUID, events: list[Any]) -> None:
    # Events go out only once the change is visible to whoever reacts to them.
    await session.commit()
    await control.publish_all(state.redis, session_id, events)


@router.post(
    "/v1/snippets/{snippet_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    summary="Start a collaborative session on a snippet",
    description="Opens a live editing session on one of the caller's snippets, starting from its current "
    "revision, with the caller as its owner and first participant (an editor). A snippet has at most one "
    "open session: while it has one, this answers 200 with it (the body's settings are then ignored). "
    "An owner may hold `collab_max_active_sessions` (5) open sessions at once.",
    responses={
        200: {"model": SessionOut, "description": "The snippet's session, already open"},
        201: {
            "description": "The new session",
            "headers": {"Location": {"description": "The session's URL.", "schema": {"type": "string"}}},
        },
        **PROBLEM_RESPONSES,
        403: _problem(
            403,
            "not-owner",
            "Not the owner",
            "Only the snippet's owner may change or delete it.",
            "The API key lacks snippets:write, or the caller does not own the snippet",
        ),
        409: _problem(
            409,
            "collab-sessions-limit",
            "Too many sessions",
            "At most 5 collaborative sessions may be open at once: end one first.",
            "The owner already holds the most open sessions allowed",
        ),
    },
)
async def start_collab_session(
    snippet_id: Annotated[uuid.UUID, Path(description="The snippet's id.")],
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    response: Response,
    payload: SessionCreate | None = None,
) -> SessionOut:
    view, created = await service.start(session, principal, snippet_id, payload or SessionCreate(), state.settings)
    await session.commit()
    if created:
        response.headers["Location"] = session_path(view.row.id)
    else:
        response.status_code = status.HTTP_200_OK
    return SessionOut.build(view.row, view.you, list(view.participants))


@router.get(
    "/v1/collab/sessions/{session_id}",
    response_model=SessionOut,
    summary="Get a collaborative session",
    description="For its owner and participants: a signed-in participant by their credentials, a guest by the "
    "`crh_collab` cookie its join set. Anyone else gets 404.",
    responses={
        **PROBLEM_RESPONSES,
        403: _problem(
            403,
            "collab-revoked",
            "Revoked",
            "The session's owner revoked your participation.",
            "The caller was revoked from the session, or the API key lacks snippets:read",
        ),
        404: NOT_FOUND,
    },
)
async def get_collab_session(
    session_id: SessionId, session: SessionDep, principal: SnippetsReadOpen, holder: CookieHolder
) -> SessionOut:
    view = await service.view(session, principal, holder, session_id)
    return SessionOut.build(view.row, view.you, list(view.participants))


@router.patch(
    "/v1/collab/sessions/{session_id}",
    response_model=SessionOut,
    summary="Change a collaborative session's settings",
    description="Owner only. Changes apply to joins from now on: guests already in stay when anonymous joins "
    "are turned off, and nobody is removed by lowering `max_participants`.",
    responses={**OWNER_RESPONSES, 409: ENDED},
)
async def update_collab_session(
    session_id: SessionId,
    payload: SessionUpdate,
    session: SessionDep,
    principal: SnippetsWrite,
    holder: CookieHolder,
) -> SessionOut:
    view = await service.update(session, principal, holder, session_id, payload)
    await session.commit()
    return SessionOut.build(view.row, view.you, list(view.participants))


@router.delete(
    "/v1/collab/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End a collaborative session",
    description="Owner only. The session stays readable with status `ended`; its sockets close and nobody joins "
    "it again. Ending an ended session changes nothing.",
    responses=OWNER_RESPONSES,
)
async def end_collab_session(
    session_id: SessionId, session: SessionDep, state: StateDep, principal: SnippetsWrite, holder: CookieHolder
) -> Response:
    events = await service.end(session, principal, holder, session_id)
    if events:
        # Ending saves the document to the snippet (when it changed), in the same transaction.
        events = [*await saving.end_saving(state, session, session_id), *events]
    await _committed(session, state, session_id, events)
    await saving.queue_metrics(state, events)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/collab/sessions/{session_id}/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteOut,
    summary="Create an invite link",
    description="Owner only. An invite admits whoever holds its token, with its role (guests, callers without "
    "an account, only as viewers and only while the session allows anonymous). The token is in this answer only: "
    "the server keeps its SHA-256. Share `url`: the token rides in its fragment, which browsers do not send.",
    responses={**OWNER_RESPONSES, 409: ENDED},
)
async def create_collab_invite(
    session_id: SessionId,
    payload: InviteCreate,
    session: SessionDep,
    principal: SnippetsWrite,
    holder: CookieHolder,
) -> InviteOut:
    invite, token = await service.create_invite(session, principal, holder, session_id, payload)
    await session.commit()
    return InviteOut.of(invite, token)


@router.get(
    "/v1/collab/sessions/{session_id}/invites",
    response_model=list[InviteOut],
    summary="List a session's invites",
    description="Owner only; oldest first, revoked ones included, without their tokens.",
    responses=OWNER_RESPONSES,
)
async def list_collab_invites(
    session_id: SessionId, session: SessionDep, principal: SnippetsWrite, holder: CookieHolder
) -> list[InviteOut]:
    return [InviteOut.of(invite) for invite in await service.invites(session, principal, holder, session_id)]


@router.delete(
    "/v1/collab/sessions/{session_id}/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an invite",
    description="Owner only. The invite admits nobody more; participants who joined through it keep their "
    "place (revoke them one by one).",
    responses=OWNER_RESPONSES,
)
async def revoke_collab_invite(
    session_id: SessionId,
    invite_id: Annotated[uuid.UUID, Path(description="The invite's id.")],
    session: SessionDep,
    principal: SnippetsWrite,
    holder: CookieHolder,
) -> Response:
    await service.revoke_invite(session, principal, holder, session_id, invite_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/v1/collab/sessions/{session_id}/users/{user_id}",
    response_model=ParticipantOut,
    summary="Name a user as a participant, or change their role",
    description="Owner only. Admits a signed-in user by their user id with a role (no invite needed), changes "
    "the role of one already in (their open sockets switch at once), or restores a revoked one.",
    responses={
        **OWNER_RESPONSES,
        404: _problem(
            404,
            "not-found",
            "Not found",
            "User 0190c7a2-5b1e-7c3d-8e4f-a1b2c3d4e5f6 was not found",
            "No such session (or the caller has no place in it), or no such user",
        ),
        409: _problem(
            409,
            "collab-session-full",
            "Session full",
            "The session admits at most 10 participants.",
            "The session ended or is full, or the user is its owner",
        ),
    },
)
async def put_collab_participant(
    session_id: SessionId,
    user_id: Annotated[uuid.UUID, Path(description="The user's id.")],
    payload: ParticipantPut,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    holder: CookieHolder,
) -> ParticipantOut:
    row, participant, events = await service.name_participant(
        session, principal, holder, session_id, user_id, payload.role
    )
    await _committed(session, state, session_id, events)
    return ParticipantOut.of(participant, row.owner_id)


@router.delete(
    "/v1/collab/sessions/{session_id}/participants/{participant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a participant",
    description="Owner only. The participant's sockets close (4403) and they cannot join again, with any "
    "invite, until the owner names them again. The owner cannot be revoked (409).",
    responses={
        **OWNER_RESPONSES,
        409: _problem(
            409,
            "collab-owner",
            "The owner",
            "The session's owner cannot be revoked: end the session.",
            "The participant is the session's owner",
        ),
    },
)
async def revoke_collab_participant(
    session_id: SessionId,
    participant_id: Annotated[uuid.UUID, Path(description="The participant's id.")],
    session: SessionDep,
    state: StateDep,
    principal: SnippetsWrite,
    holder: CookieHolder,
) -> Response:
    events = await service.revoke_participant(session, principal, holder, session_id, participant_id)
    await _committed(session, state, session_id, events)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/collab/sessions/{session_id}/join",
    response_model=JoinOut,
    summary="Join a collaborative session",
    description="Admits the caller and sets the `crh_collab` cookie the session's socket and GET recognise "
    "(HttpOnly, SameSite=Strict, scoped to the session's path). Participants already in (the owner, named "
    "users, a guest back with its cookie) get their place back; an `invite` admits with its role (and raises a "
    "signed-in viewer to editor); callers without an account are admitted only while the session allows "
    "anonymous, and only as viewers. `socket_token` is the same credential for clients without cookies.",
    responses={
        200: {
            "description": "Admitted",
            "headers": {
                "Set-Cookie": {
                    "description": "`crh_collab=<token>; HttpOnly; SameSite=Strict; Path=/v1/collab/sessions/{id}`.",
                    "schema": {"type": "string"},
                }
            },
        },
        **PROBLEM_RESPONSES,
        401: _problem(
            401,
            "collab-sign-in-required",
            "Sign in to join",
            "This session admits signed-in users only: sign in, then open the invite again.",
            "Invalid credentials, or the session admits signed-in users only",
        ),
        403: _problem(
            403,
            "collab-invite-invalid",
            "Invite not valid",
            "The invite has expired.",
            "The invite is expired, used up or revoked, the caller was revoked, or the API key lacks snippets:read",
        ),
        404: NOT_FOUND,
        409: _problem(
            409,
            "collab-session-full",
            "Session full",
            "The session admits at most 10 participants.",
            "The session is full",
        ),
        410: _problem(
            410, "collab-session-ended", "Session ended", "The collaborative session has ended.", "The session ended"
        ),
    },
)
async def join_collab_session(
    session_id: SessionId,
    request: Request,
    response: Response,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsReadOpen,
    holder: CookieHolder,
    payload: JoinIn | None = None,
) -> JoinOut:
    view = await service.join(session, principal, holder, session_id, payload or JoinIn())
    await _committed(session, state, session_id, view.events)
    ttl = state.settings.collab_participant_token_ttl_s
    held = TokenHolder(view.row.id, view.you.id)
    token = request.cookies.get(access.COOKIE, "")
    # A participant back with its cookie keeps it (renewed); anyone else gets a new one.
    if holder != held or not await access.renew_token(state.redis, token, ttl):
        token = await access.issue_token(state.redis, held, ttl)
    response.set_cookie(
        access.COOKIE,
        token,
        max_age=ttl,
        path=session_path(view.row.id),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return JoinOut(
        session=SessionOut.build(view.row, view.you, list(view.participants)),
        participant=ParticipantOut.of(view.you, view.row.owner_id),
        socket_token=token,
    )


@router.post(
    "/v1/collab/sessions/{session_id}/save",
    response_model=saving.SaveOut,
    summary="Save the session's files to the snippet",
    description="Owner only. Stores the document as it stands as the snippet's next revision (a PATCH of its "
    "files, with the same checks), unless the snippet already holds exactly these files (`saved: false`). "
    "Every participant's socket gets a `saved` event. Ending the session saves it the same way.",
    responses=OWNER_RESPONSES,
)
async def save_collab_session(
    session_id: SessionId, session: SessionDep, state: StateDep, principal: SnippetsWrite, holder: CookieHolder
) -> saving.SaveOut:
    row, _ = await service.owned_session(session, principal, holder, session_id)
    out = await saving.save_document(state, session, row)
    await session.commit()
    if out.saved:
        events = [saving.saved_event(out)]
        await control.publish_all(state.redis, session_id, events)
        await saving.queue_metrics(state, events)
    return out
