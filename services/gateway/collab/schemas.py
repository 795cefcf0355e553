"""Request and response bodies of the collaborative sessions API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.gateway import links
from shared.db.models import CollabInvite, CollabParticipant, CollabSession

Role = Literal["editor", "viewer"]
SessionStatus = Literal["active", "ended"]
MaxParticipants = Annotated[int, Field(ge=2, le=50, description="Participants at most, the owner included.")]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=64)]

INVITE_TTL_MIN_S = 60
INVITE_TTL_MAX_S = 30 * 86_400
INVITE_TTL_DEFAULT_S = 7 * 86_400


def session_path(session_id: uuid.UUID) -> str:
    return f"/v1/collab/sessions/{session_id}"


def web_path(session_id: uuid.UUID) -> str:
    """The web app's page of a session (web/src/collab)."""
    return f"/collab/{session_id}"


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"allow_anonymous": True}]})

    allow_anonymous: bool = Field(
        default=False, description="Let callers without an account join, as viewers (with or without an invite)."
    )
    max_participants: MaxParticipants | None = Field(
        default=None, description="Participants at most, the owner included (default: the server's, 10)."
    )


class SessionUpdate(BaseModel):
    """Omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"max_participants": 4}]})

    allow_anonymous: bool | None = Field(
        default=None, description="New anonymous joins; guests already admitted stay until revoked."
    )
    max_participants: MaxParticipants | None = Field(
        default=None, description="Applies to new joins; nobody admitted is removed by lowering it."
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class ParticipantOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None = Field(description="Null for an anonymous guest.")
    display_name: str
    color: str = Field(description="The participant's cursor colour (`#rrggbb`), picked by join order.")
    role: Role
    is_owner: bool
    named_by_owner: bool = Field(description="Added by the owner by user id rather than through an invite.")
    joined_at: datetime
    revoked_at: datetime | None = Field(description="Set once the owner revoked the participant (owner view only).")

    @staticmethod
    def role_of(row: CollabParticipant) -> Role:
        return "editor" if row.role == "editor" else "viewer"

    @classmethod
    def of(cls, row: CollabParticipant, owner_id: uuid.UUID) -> ParticipantOut:
        return cls(
            id=row.id,
            user_id=row.user_id,
            display_name=row.display_name,
            color=row.color,
            role=cls.role_of(row),
            is_owner=row.user_id is not None and row.user_id == owner_id,
            named_by_owner=row.named_by_owner,
            joined_at=row.joined_at,
            revoked_at=row.revoked_at,
        )


class SessionYou(BaseModel):
    participant_id: uuid.UUID
    role: Literal["owner", "editor", "viewer"]


class SessionLinks(BaseModel):
    self: str
    socket: str = Field(description="The session's WebSocket (y-websocket protocol; see docs/api.md).")
    web: str = Field(description="The web app's page of the session.")


class SessionOut(BaseModel):
    id: uuid.UUID
    snippet_id: uuid.UUID
    owner_id: uuid.UUID
    status: SessionStatus
    base_revision: int = Field(description="The snippet revision the session's document started from.")
    last_saved_revision: int | None = Field(description="The snippet revision the session last saved, if any.")
    allow_anonymous: bool
    max_participants: int
    created_at: datetime
    ended_at: datetime | None
    last_activity_at: datetime
    you: SessionYou = Field(description="The caller's place in the session.")
    participants: list[ParticipantOut] = Field(
        description="In join order; revoked participants are listed to the owner only."
    )
    links: SessionLinks

    @classmethod
    def build(cls, row: CollabSession, you: CollabParticipant, participants: list[CollabParticipant]) -> SessionOut:
        is_owner = you.user_id == row.owner_id
        role: Literal["owner", "editor", "viewer"] = "owner" if is_owner else ParticipantOut.role_of(you)
        base = session_path(row.id)
        return cls(
            id=row.id,
            snippet_id=row.snippet_id,
            owner_id=row.owner_id,
            status="ended" if row.status == "ended" else "active",
            base_revision=row.base_revision,
            last_saved_revision=row.last_saved_revision,
            allow_anonymous=row.allow_anonymous,
            max_participants=row.max_participants,
            created_at=row.created_at,
            ended_at=row.ended_at,
            last_activity_at=row.last_activity_at,
            you=SessionYou(participant_id=you.id, role=role),
            participants=[ParticipantOut.of(p, row.owner_id) for p in participants if is_owner or p.revoked_at is None],
            links=SessionLinks(
                self=links.http_url(base), socket=links.ws_url(f"{base}/socket"), web=links.http_url(web_path(row.id))
            ),
        )


class InviteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "viewer"}, {"role": "editor", "max_uses": 1}]}
    )

    role: Role
    expires_in_s: int = Field(
        default=INVITE_TTL_DEFAULT_S,
        ge=INVITE_TTL_MIN_S,
        le=INVITE_TTL_MAX_S,
        description="Seconds until the invite stops admitting anyone (a minute to 30 days; 7 days by default).",
    )
    max_uses: int | None = Field(
        default=None, ge=1, le=1000, description="Joins the invite admits at most; unlimited when omitted."
    )


class InviteOut(BaseModel):
    id: uuid.UUID
    role: Role
    token: str | None = Field(
        description="The invite's secret, only in the answer that created it (the server keeps its hash)."
    )
    url: str | None = Field(description="The web link to share (`.../collab/{id}#k=<token>`), with the token.")
    created_at: datetime
    expires_at: datetime | None
    max_uses: int | None
    uses: int = Field(description="Joins it admitted so far.")
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: CollabInvite, token: str | None = None) -> InviteOut:
        return cls(
            id=row.id,
            role="editor" if row.role == "editor" else "viewer",
            token=token,
            url=links.http_url(f"{web_path(row.session_id)}#k={token}") if token else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            max_uses=row.max_uses,
            uses=row.uses,
            revoked_at=row.revoked_at,
        )


class ParticipantPut(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "editor"}]})

    role: Role


class JoinIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"invite": "crhi_h0Xq2oV3mN9pL4rS8tU1wY6zA5bC7dE0fG2hJ4kM6nP", "display_name": "Ada"}, {}]
        },
    )

    invite: str | None = Field(default=None, max_length=100, description="An invite's token (the link's `#k=`).")
    display_name: DisplayName | None = Field(
        default=None,
        description="The name others see, for callers without a profile name (guests are `Guest N` otherwise).",
    )


class JoinOut(BaseModel):
    session: SessionOut
    participant: ParticipantOut
    socket_token: str = Field(
        description="A credential: opens the session's socket as this participant (`?token=`) for 24 hours, "
        "like the `crh_collab` cookie set with this answer. Keep it secret."
    )
