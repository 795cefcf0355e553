"""``GET /v1/collab/sessions/{session_id}/rtc``: what a participant's browser needs for WebRTC.

Browsers connect to each other with y-webrtc: document sync over data channels (editors only) and
voice over audio tracks. The gateway is their signaling server (signal.py) and tells them which
rooms to join and which STUN/TURN servers to use; media and data never pass through it.

Room names are y-webrtc topics: HMAC-SHA256 of the session and the room's kind under a key every
gateway shares (kept in Redis), so they are the same on every gateway and request and cannot be
guessed from the session id. Viewers are not given the document room: y-webrtc applies any peer's
update, so a viewer in it could edit through an editor's browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from services.gateway.auth.access import SnippetsReadOpen
from services.gateway.collab import service
from services.gateway.collab.endpoints import ENDED, CookieHolder, SessionId
from services.gateway.collab.schemas import session_path
from services.gateway.deps import SessionDep, StateDep
from shared.problems import PROBLEM_RESPONSES, ProblemError, documented_problem
from shared.redis_keys import COLLAB_WEBRTC_ROOM_KEY
from shared.settings import TURN_SCHEMES, GatewaySettings

router = APIRouter(tags=["collab"])

RoomKind = Literal["document", "voice"]
# Domain separation: the Redis key may one day name other things than these rooms.
_ROOMS_LABEL = b"coderunhub collab webrtc rooms"
_ROOM_HEX = 32


async def room_key(redis: Redis) -> bytes:
    """The key rooms are named with: made once, by whichever gateway needs it first (SET NX GET,
    one round trip: the key there already, or None when ours was set)."""
    made = secrets.token_bytes(32)
    held = await redis.set(COLLAB_WEBRTC_ROOM_KEY, made, nx=True, get=True)
    return hmac.new(held if held is not None else made, _ROOMS_LABEL, hashlib.sha256).digest()


def room_name(key: bytes, session_id: uuid.UUID, kind: RoomKind) -> str:
    return hmac.new(key, f"{session_id}:{kind}".encode(), hashlib.sha256).hexdigest()[:_ROOM_HEX]


async def room_names(redis: Redis, session_id: uuid.UUID) -> dict[RoomKind, str]:
    key = await room_key(redis)
    return {"document": room_name(key, session_id, "document"), "voice": room_name(key, session_id, "voice")}


def signal_path(session_id: uuid.UUID) -> str:
    return f"{session_path(session_id)}/signal"


class IceServer(BaseModel):
    """An RTCIceServer, as RTCPeerConnection takes it."""

    urls: list[str] = Field(description="`stun:`, `turn:` or `turns:` URLs of one server kind.")
    username: str | None = Field(
        default=None, description="TURN only: `<expiry, Unix seconds>:<participant id>` (coturn's REST API)."
    )
    credential: str | None = Field(
        default=None, description="TURN only: base64 HMAC-SHA1 of `username` under the TURN server's shared secret."
    )


class RtcRooms(BaseModel):
    document: str | None = Field(
        description="The y-webrtc room syncing the document: editors only, `null` for viewers (who must not join "
        "one: y-webrtc applies any peer's update)."
    )
    voice: str = Field(description="The y-webrtc room for voice: every participant.")


class RtcConfig(BaseModel):
    signaling_url: str = Field(
        description="The path of the session's signaling WebSocket (y-webrtc's `signaling` option, on this API's host "
        "with `ws:` or `wss:`), admitted like the session's socket."
    )
    rooms: RtcRooms = Field(description="Room names (y-webrtc topics), stable for the session's life.")
    ice_servers: list[IceServer] = Field(
        description="RTCPeerConnection's `iceServers`; empty when the deployment has none (host candidates only)."
    )
    ice_transport_policy: Literal["all", "relay"] = Field(
        description="RTCPeerConnection's `iceTransportPolicy`: `relay` hides participants' addresses from each other."
    )
    expires_at: datetime | None = Field(
        description="When the TURN credentials expire (fetch this again before); `null` without TURN servers."
    )
    max_update_bytes: int = Field(
        description="The largest document update the session's socket takes (`collab_max_frame_bytes`). Updates "
        "from peers skip the server's checks: a client refuses a larger one, as the server would."
    )
    max_document_bytes: int = Field(
        description="The largest document the server keeps (its encoded state, `collab_max_state_bytes`): a client "
        "refuses peers' updates that would grow the document past it, and stops syncing the document with peers."
    )


def ice_servers(
    settings: GatewaySettings, participant_id: uuid.UUID, now: float
) -> tuple[list[IceServer], datetime | None]:
    """The configured servers, TURN ones with credentials of the participant's (draft-uberti-behave-turn-rest)."""
    stun = [url for url in settings.collab_ice_servers if url.partition(":")[0] not in TURN_SCHEMES]
    turn = [url for url in settings.collab_ice_servers if url.partition(":")[0] in TURN_SCHEMES]
    servers = [IceServer(urls=stun)] if stun else []
    secret = settings.collab_turn_secret
    if not turn or secret is None:
        return servers, None
    expiry = int(now) + settings.collab_turn_credential_ttl_s
    username = f"{expiry}:{participant_id}"
    digest = hmac.new(secret.get_secret_value().encode(), username.encode(), hashlib.sha1).digest()
    servers.append(IceServer(urls=turn, username=username, credential=base64.b64encode(digest).decode()))
    return servers, datetime.fromtimestamp(expiry, UTC)


@router.get(
    "/v1/collab/sessions/{session_id}/rtc",
    response_model=RtcConfig,
    summary="WebRTC configuration for a participant",
    description="For the session's participants, as its GET: the signaling WebSocket, the y-webrtc rooms to join "
    "(the document's for editors only) and the ICE servers, TURN ones with credentials of the caller's own. "
    "Not cached (`Cache-Control: no-store`): fetch it again before `expires_at`, and after a role change.",
    responses={
        **PROBLEM_RESPONSES,
        403: documented_problem("The caller was revoked from the session, or the API key lacks snippets:read"),
        404: documented_problem(
            "No such session, or the caller has no place in it; `collab-webrtc-disabled`: WebRTC is turned off"
        ),
        409: ENDED,
    },
)
async def get_collab_rtc(
    session_id: SessionId,
    session: SessionDep,
    state: StateDep,
    principal: SnippetsReadOpen,
    holder: CookieHolder,
    response: Response,
) -> RtcConfig:
    settings = state.settings
    if not settings.collab_webrtc:
        raise ProblemError(
            404,
            "collab-webrtc-disabled",
            "WebRTC disabled",
            "This deployment does not connect participants with WebRTC.",
        )
    view = await service.view(session, principal, holder, session_id)
    if view.row.status != "active":
        raise ProblemError(409, "collab-session-ended", "Session ended", "The collaborative session has ended.")
    rooms = await room_names(state.redis, view.row.id)
    servers, expires_at = ice_servers(settings, view.you.id, time.time())
    # Credentials (TURN's) in the answer: no cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return RtcConfig(
        signaling_url=signal_path(view.row.id),
        rooms=RtcRooms(document=rooms["document"] if view.you.role == "editor" else None, voice=rooms["voice"]),
        ice_servers=servers,
        ice_transport_policy=settings.collab_ice_transport_policy,
        expires_at=expires_at,
        max_update_bytes=settings.collab_max_frame_bytes,
        max_document_bytes=settings.collab_max_state_bytes,
    )
