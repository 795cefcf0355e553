"""Collaborative session rules: who may see, change and join a session; invites; participants.

Nothing here commits; the endpoints own that boundary, and publish the control events a change
returns only after it committed.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.auth.principal import Principal
from services.gateway.collab import repository as repo
from services.gateway.collab.access import TokenHolder
from services.gateway.collab.schemas import InviteCreate, JoinIn, SessionCreate, SessionUpdate
from services.gateway.snippets import service as snippets
from shared.db.models import CollabInvite, CollabParticipant, CollabSession, User
from shared.ids import new_id
from shared.problems import NotFoundProblem, ProblemError
from shared.settings import GatewaySettings

INVITE_PREFIX = "crhi_"
# Cursor colours by join order (y-codemirror.next draws them); 12 tell a full session apart.
PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#469990",
    "#808000",
    "#000075",
    "#e6a100",
)
NAME_MAX = 64
Event = dict[str, Any]


@dataclass(slots=True)
class SessionView:
    """A session as one caller sees it: the row, the caller's participant row, and everyone's."""

    row: CollabSession
    you: CollabParticipant
    participants: Sequence[CollabParticipant]
    events: list[Event] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _ended(status: int = 409) -> ProblemError:
    return ProblemError(status, "collab-session-ended", "Session ended", "The collaborative session has ended.")


def _not_found(session_id: uuid.UUID, *, invite: bool = False) -> ProblemError:
    # Whoever has no place in a session learns nothing of it, not even that it exists (nor whether
    # it was the session or the invite that was not found).
    return NotFoundProblem(f"Collaborative session {session_id}" + (" (or that invite of it)" if invite else ""))


def _revoked() -> ProblemError:
    return ProblemError(403, "collab-revoked", "Revoked", "The session's owner revoked your participation.")


def _full(row: CollabSession) -> ProblemError:
    return ProblemError(
        409, "collab-session-full", "Session full", f"The session admits at most {row.max_participants} participants."
    )


def _display_name(text: str | None) -> str | None:
    """A name fit to show others: no control or format characters, trimmed, at most NAME_MAX."""
    if text is None:
        return None
    cleaned = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C")).strip()
    return cleaned[:NAME_MAX].strip() or None


def _profile_name(user: User | None) -> str | None:
    return _display_name(user.display_name) if user is not None else None


def invite_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- who is calling -----------------------------------------------------------------------------


async def _caller(
    session: AsyncSession, row: CollabSession, principal: Principal, holder: TokenHolder | None
) -> CollabParticipant | None:
    """The caller's participant row, revoked or not: the signed-in user's, else the participant
    cookie's (a guest's). A live row wins over a revoked one."""
    found: list[CollabParticipant] = []
    if principal.user_id is not None:
        mine = await repo.participant_of_user(session, row.id, principal.user_id)
        if mine is not None:
            found.append(mine)
    if holder is not None and holder.session_id == row.id:
        by_cookie = await repo.participant(session, holder.participant_id)
        if by_cookie is not None and by_cookie.session_id == row.id:
            found.append(by_cookie)
    live = [p for p in found if p.revoked_at is None]
    return next(iter(live or found), None)


async def _view(session: AsyncSession, row: CollabSession, you: CollabParticipant) -> SessionView:
    return SessionView(row, you, await repo.participants(session, row.id))


async def _owned(
    session: AsyncSession, principal: Principal, holder: TokenHolder | None, session_id: uuid.UUID
) -> tuple[CollabSession, CollabParticipant]:
    """For the owner's changes: a session the caller has no place in is a 404; one it takes part
    in but does not own, a 403. Locked until the transaction ends."""
    row = await repo.get(session, session_id, for_update=True)
    if row is None:
        raise _not_found(session_id)
    if principal.user_id is not None and principal.user_id == row.owner_id:
        owner = await repo.participant_of_user(session, row.id, row.owner_id)
        if owner is not None:
            return row, owner
    caller = await _caller(session, row, principal, holder)
    if caller is None or caller.revoked_at is not None:
        raise _not_found(session_id)
    raise ProblemError(403, "not-owner", "Not the owner", "Only the session's owner may do this.")


async def owned_session(
    session: AsyncSession, principal: Principal, holder: TokenHolder | None, session_id: uuid.UUID
) -> tuple[CollabSession, CollabParticipant]:
    """The session and its owner's row, for an owner-only action (404 / 403 as ``_owned``)."""
    return await _owned(session, principal, holder, session_id)


def _participant(
    row: CollabSession,
    *,
    user_id: uuid.UUID | None,
    role: str,
    name: str,
    order: int,
    invite_id: uuid.UUID | None = None,
    named: bool = False,
) -> CollabParticipant:
    return CollabParticipant(
        id=new_id(),
        session_id=row.id,
        user_id=user_id,
        invite_id=invite_id,
        role=role,
        display_name=name,
        color=PALETTE[order % len(PALETTE)],
        named_by_owner=named,
        joined_at=_now(),
        revoked_at=None,
    )


# --- sessions -----------------------------------------------------------------------------------


async def start(
    session: AsyncSession,
    principal: Principal,
    snippet_id: uuid.UUID,
    payload: SessionCreate,
    settings: GatewaySettings,
) -> tuple[SessionView, bool]:
    """The snippet's open session, or a new one (True) with the owner as its first participant."""
    snippet = await snippets.owned(session, principal, snippet_id)
    # owned() locked the snippet: concurrent starts on it queue up, and the second finds the first.
    existing = await repo.active_for_snippet(session, snippet.id)
    if existing is not None:
        owner = await repo.participant_of_user(session, existing.id, existing.owner_id)
        assert owner is not None, "a session is created with its owner's row"
        return await _view(session, existing, owner), False
    user = await repo.lock_user(session, snippet.owner_id)
    limit = settings.collab_max_active_sessions
    if await repo.active_count(session, snippet.owner_id) >= limit:
        raise ProblemError(
            409,
            "collab-sessions-limit",
            "Too many sessions",
            f"At most {limit} collaborative sessions may be open at once: end one first.",
        )
    now = _now()
    row = CollabSession(
        id=new_id(),
        snippet_id=snippet.id,
        owner_id=snippet.owner_id,
        status="active",
        base_revision=snippet.revision,
        last_saved_revision=None,
        allow_anonymous=payload.allow_anonymous,
        max_participants=payload.max_participants or settings.collab_max_participants,
        created_at=now,
        ended_at=None,
        last_activity_at=now,
    )
    await repo.add_session(session, row)
    owner = _participant(row, user_id=snippet.owner_id, role="editor", name=_profile_name(user) or "Owner", order=0)
    repo.add(session, owner)
    return SessionView(row, owner, [owner]), True


async def view(
    session: AsyncSession, principal: Principal, holder: TokenHolder | None, session_id: uuid.UUID
) -> SessionView:
    row = await repo.get(session, session_id)
    caller = await _caller(session, row, principal, holder) if row is not None else None
    if row is None or caller is None:
        raise _not_found(session_id)
    if caller.revoked_at is not None:
        raise _revoked()
    return await _view(session, row, caller)


async def update(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    payload: SessionUpdate,
) -> SessionView:
    row, owner = await _owned(session, principal, holder, session_id)
    if row.status != "active":
        raise _ended()
    if payload.allow_anonymous is not None:
        row.allow_anonymous = payload.allow_anonymous
    if payload.max_participants is not None:
        row.max_participants = payload.max_participants
    row.last_activity_at = _now()
    return await _view(session, row, owner)


async def end(
    session: AsyncSession, principal: Principal, holder: TokenHolder | None, session_id: uuid.UUID
) -> list[Event]:
    row, _ = await _owned(session, principal, holder, session_id)
    if row.status != "active":
        return []
    row.status = "ended"
    row.ended_at = row.last_activity_at = _now()
    return [{"type": "ended"}]


# --- invites ------------------------------------------------------------------------------------


async def create_invite(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    payload: InviteCreate,
) -> tuple[CollabInvite, str]:
    row, _ = await _owned(session, principal, holder, session_id)
    if row.status != "active":
        raise _ended()
    token = INVITE_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    invite = CollabInvite(
        id=new_id(),
        session_id=row.id,
        token_sha256=invite_digest(token),
        role=payload.role,
        created_at=now,
        expires_at=now + timedelta(seconds=payload.expires_in_s),
        revoked_at=None,
        uses=0,
        max_uses=payload.max_uses,
    )
    repo.add(session, invite)
    return invite, token


async def invites(
    session: AsyncSession, principal: Principal, holder: TokenHolder | None, session_id: uuid.UUID
) -> Sequence[CollabInvite]:
    row, _ = await _owned(session, principal, holder, session_id)
    return await repo.invites(session, row.id)


async def revoke_invite(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    invite_id: uuid.UUID,
) -> None:
    """The invite admits nobody more; whoever joined through it stays (revoke them one by one)."""
    row, _ = await _owned(session, principal, holder, session_id)
    invite = await repo.invite(session, invite_id)
    if invite is None or invite.session_id != row.id:
        raise NotFoundProblem(f"Invite {invite_id}")
    if invite.revoked_at is None:
        invite.revoked_at = _now()


# --- participants -------------------------------------------------------------------------------


async def name_participant(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
) -> tuple[CollabSession, CollabParticipant, list[Event]]:
    """The owner admits a signed-in user by id with a role, or changes their role; naming a
    revoked participant again restores them."""
    row, _ = await _owned(session, principal, holder, session_id)
    if row.status != "active":
        raise _ended()
    if user_id == row.owner_id:
        raise ProblemError(409, "collab-owner", "The owner", "The session's owner is always an editor.")
    user = await repo.user(session, user_id)
    if user is None or not user.is_active:
        raise NotFoundProblem(f"User {user_id}")
    total, live, _guests = await repo.participant_counts(session, row.id)
    mine = await repo.participant_of_user(session, row.id, user_id)
    events: list[Event] = []
    if (mine is None or mine.revoked_at is not None) and live >= row.max_participants:
        raise _full(row)
    if mine is None:
        name = _profile_name(user) or f"User {total + 1}"
        mine = _participant(row, user_id=user_id, role=role, name=name, order=total, named=True)
        repo.add(session, mine)
    elif mine.revoked_at is not None:
        # No socket of theirs is open (revoking closed them): no event to send.
        mine.revoked_at = None
        mine.role = role
    elif mine.role != role:
        mine.role = role
        events.append({"type": "role", "participant_id": str(mine.id), "role": role})
    mine.named_by_owner = True
    row.last_activity_at = _now()
    return row, mine, events


async def revoke_participant(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
) -> list[Event]:
    row, _ = await _owned(session, principal, holder, session_id)
    target = await repo.participant(session, participant_id)
    if target is None or target.session_id != row.id:
        raise NotFoundProblem(f"Participant {participant_id}")
    if target.user_id == row.owner_id:
        raise ProblemError(409, "collab-owner", "The owner", "The session's owner cannot be revoked: end the session.")
    if target.revoked_at is not None:
        return []
    target.revoked_at = _now()
    return [{"type": "revoked", "participant_id": str(target.id)}]


# --- joining ------------------------------------------------------------------------------------


def _invite_refused(invite: CollabInvite) -> ProblemError:
    if invite.revoked_at is not None:
        why = "was revoked"
    elif invite.max_uses is not None and invite.uses >= invite.max_uses:
        why = "is used up"
    else:
        why = "has expired"
    return ProblemError(403, "collab-invite-invalid", "Invite not valid", f"The invite {why}.")


async def join(
    session: AsyncSession,
    principal: Principal,
    holder: TokenHolder | None,
    session_id: uuid.UUID,
    payload: JoinIn,
) -> SessionView:
    """Admit the caller (see docs/api.md#collaborative-sessions): a participant already (the owner,
    a named user, a guest back with its cookie) as they are; an invite holder with the invite's
    role (guests as viewers only); anyone else as a viewer while the session allows anonymous."""
    with_invite = payload.invite is not None
    row = await repo.get(session, session_id, for_update=True)
    if row is None:
        raise _not_found(session_id, invite=with_invite)
    mine = await _caller(session, row, principal, holder)
    invite = await repo.invite_by_digest(session, invite_digest(payload.invite)) if payload.invite else None
    if invite is not None and invite.session_id != row.id:
        invite = None
    if row.status != "active":
        # Those who could have joined learn that it ended; anyone else learns nothing.
        if mine is not None or invite is not None or row.allow_anonymous:
            raise _ended(410)
        raise _not_found(session_id, invite=with_invite)
    if mine is not None and mine.revoked_at is not None:
        raise _revoked()
    signed_in = principal.user_id is not None
    now = _now()
    if mine is not None:
        # An invite only ever raises a signed-in participant's role, and is spent only then; one
        # that cannot (used up, say: the link opened again) leaves the participant as they are.
        if (
            invite is not None
            and signed_in
            and mine.user_id is not None
            and invite.role == "editor"
            and mine.role != "editor"
            and await repo.spend_invite(session, invite.id)
        ):
            mine.role = "editor"
            row.last_activity_at = now
            view = await _view(session, row, mine)
            view.events.append({"type": "role", "participant_id": str(mine.id), "role": "editor"})
            return view
        return await _view(session, row, mine)
    if with_invite and invite is None:
        raise _not_found(session_id, invite=True)
    if not signed_in and not row.allow_anonymous:
        if invite is None:
            raise _not_found(session_id)
        raise ProblemError(
            401,
            "collab-sign-in-required",
            "Sign in to join",
            "This session admits signed-in users only: sign in, then open the invite again.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if invite is None and not row.allow_anonymous:
        raise _not_found(session_id)
    total, live, guests = await repo.participant_counts(session, row.id)
    if live >= row.max_participants:
        raise _full(row)
    role = "viewer"
    if invite is not None:
        if not await repo.spend_invite(session, invite.id):
            raise _invite_refused(invite)
        # Guests only ever watch, whatever the invite says.
        role = invite.role if signed_in else "viewer"
    given = _display_name(payload.display_name)
    if signed_in:
        assert principal.user_id is not None
        name = _profile_name(await repo.user(session, principal.user_id)) or given or f"User {total + 1}"
    else:
        name = given or f"Guest {guests + 1}"
    mine = _participant(
        row,
        user_id=principal.user_id,
        role=role,
        name=name,
        order=total,
        invite_id=invite.id if invite is not None else None,
    )
    repo.add(session, mine)
    row.last_activity_at = now
    return await _view(session, row, mine)
