"""Collaborative sessions on snippets (``/v1/collab/sessions``): start, share, join.

The live document travels over the session's WebSocket (``SessionOut.links.socket``), in the
y-websocket protocol; these methods manage who takes part. ``join`` answers a ``socket_token``,
a credential (``?token=`` on the socket) to keep secret."""

from __future__ import annotations

import uuid
from typing import Any, Literal, TypeAlias

from coderunhub._http import Transport
from coderunhub.models import (
    ExecutionOut,
    InviteCreate,
    InviteOut,
    JoinIn,
    JoinOut,
    ParticipantOut,
    ParticipantPut,
    RtcConfig,
    SaveOut,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    SharedRunCreate,
    SharedRunInput,
    SharedRunOut,
    SnippetOut,
)

Role: TypeAlias = Literal["editor", "viewer"]
SessionRef: TypeAlias = uuid.UUID | str | SessionOut
Ref: TypeAlias = uuid.UUID | str


def _session_path(session: SessionRef) -> str:
    return f"/v1/collab/sessions/{session.id if isinstance(session, SessionOut) else session}"


def _set(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def invite_token(token_or_url: str) -> str:
    """An invite's token, from the token itself or from its share URL (``...#k=<token>``)."""
    return token_or_url.rsplit("#k=", 1)[-1]


class AsyncCollab:
    """Collaborative sessions: the owner's side (start, invites, named users, end) and the
    participant's (join, read)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def start(
        self,
        snippet: uuid.UUID | str | SnippetOut,
        *,
        allow_anonymous: bool | None = None,
        max_participants: int | None = None,
    ) -> SessionOut:
        """Open a session on one of my snippets, or get the one it already has open."""
        snippet_id = snippet.id if isinstance(snippet, SnippetOut) else snippet
        body = SessionCreate.model_validate(_set(allow_anonymous=allow_anonymous, max_participants=max_participants))
        return await self._transport.send_model(
            SessionOut, "POST", f"/v1/snippets/{snippet_id}/sessions", json=body.to_json()
        )

    async def get(self, session: SessionRef) -> SessionOut:
        return await self._transport.get_model(SessionOut, _session_path(session))

    async def update(
        self, session: SessionRef, *, allow_anonymous: bool | None = None, max_participants: int | None = None
    ) -> SessionOut:
        body = SessionUpdate.model_validate(_set(allow_anonymous=allow_anonymous, max_participants=max_participants))
        return await self._transport.send_model(SessionOut, "PATCH", _session_path(session), json=body.to_json())

    async def end(self, session: SessionRef) -> None:
        await self._transport.request("DELETE", _session_path(session))

    async def create_invite(
        self, session: SessionRef, role: Role, *, expires_in_s: int | None = None, max_uses: int | None = None
    ) -> InviteOut:
        """A share link with a role; its ``token`` and ``url`` are in this answer only."""
        body = InviteCreate.model_validate(_set(role=role, expires_in_s=expires_in_s, max_uses=max_uses))
        return await self._transport.send_model(
            InviteOut, "POST", f"{_session_path(session)}/invites", json=body.to_json()
        )

    async def invites(self, session: SessionRef) -> list[InviteOut]:
        response = await self._transport.request("GET", f"{_session_path(session)}/invites")
        return [InviteOut.model_validate(item) for item in response.json()]

    async def revoke_invite(self, session: SessionRef, invite: Ref | InviteOut) -> None:
        invite_id = invite.id if isinstance(invite, InviteOut) else invite
        await self._transport.request("DELETE", f"{_session_path(session)}/invites/{invite_id}")

    async def name_participant(self, session: SessionRef, user_id: Ref, role: Role) -> ParticipantOut:
        """Admit a signed-in user by id with a role, or change their role."""
        body = ParticipantPut(role=role)
        return await self._transport.send_model(
            ParticipantOut, "PUT", f"{_session_path(session)}/users/{user_id}", json=body.to_json()
        )

    async def revoke_participant(self, session: SessionRef, participant: Ref | ParticipantOut) -> None:
        participant_id = participant.id if isinstance(participant, ParticipantOut) else participant
        await self._transport.request("DELETE", f"{_session_path(session)}/participants/{participant_id}")

    async def rtc(self, session: SessionRef) -> RtcConfig:
        """WebRTC between participants: the signaling socket's path, the y-webrtc rooms (the
        document's for editors only) and ICE servers, TURN ones with credentials of mine."""
        return await self._transport.get_model(RtcConfig, f"{_session_path(session)}/rtc")

    async def join(self, session: SessionRef, *, invite: str | None = None, display_name: str | None = None) -> JoinOut:
        """Join (``invite``: its token or share URL). Keep the answer's ``socket_token`` secret."""
        body = JoinIn.model_validate(
            _set(invite=invite_token(invite) if invite is not None else None, display_name=display_name)
        )
        return await self._transport.send_model(JoinOut, "POST", f"{_session_path(session)}/join", json=body.to_json())

    async def run(
        self,
        session: SessionRef,
        *,
        stdin: str | None = None,
        args: list[str] | None = None,
        replace: bool | None = None,
        interactive: bool | None = None,
    ) -> SharedRunOut:
        """Run the session's files as they stand, for every participant to watch (editors only);
        stream it from the answer's ``stream`` URL. ``replace`` cancels a run still going;
        ``interactive`` runs it with input typed as it runs (``type_input``)."""
        body = SharedRunCreate.model_validate(_set(stdin=stdin, args=args, replace=replace, interactive=interactive))
        return await self._transport.send_model(
            SharedRunOut, "POST", f"{_session_path(session)}/runs", json=body.to_json()
        )

    async def current_run(self, session: SessionRef) -> SharedRunOut | None:
        """The session's current (or last) run; None before the first."""
        response = await self._transport.request("GET", f"{_session_path(session)}/runs/current")
        body = response.json()
        return SharedRunOut.model_validate(body) if body is not None else None

    async def cancel_run(self, session: SessionRef, execution: Ref | SharedRunOut) -> ExecutionOut:
        execution_id = execution.execution_id if isinstance(execution, SharedRunOut) else execution
        response = await self._transport.request("POST", f"{_session_path(session)}/runs/{execution_id}/cancel")
        return ExecutionOut.model_validate(response.json())

    async def save(self, session: SessionRef) -> SaveOut:
        """Store the document as the snippet's next revision (owner only; ``saved`` is False when
        the snippet already held these files)."""
        return await self._transport.send_model(SaveOut, "POST", f"{_session_path(session)}/save")

    async def type_input(
        self, session: SessionRef, execution: Ref | SharedRunOut, data: str | None = None, *, eof: bool = False
    ) -> None:
        """Send input to an interactive shared run (editors only); ``eof`` closes its stdin."""
        execution_id = execution.execution_id if isinstance(execution, SharedRunOut) else execution
        body = SharedRunInput.model_validate(_set(data=data, eof=eof or None))
        await self._transport.request(
            "POST", f"{_session_path(session)}/runs/{execution_id}/input", json=body.to_json()
        )
