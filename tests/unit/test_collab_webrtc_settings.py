"""WebRTC's settings (shared/settings.py) and the ICE servers a participant is given
(services/gateway/collab/rtc.py): a configuration browsers would choke on is refused at start."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import pytest
from pydantic import ValidationError

from services.gateway.collab.rtc import IceServer, ice_servers
from shared.settings import GatewaySettings
from tests.conftest import gateway_settings

TURN = "turn:turn.example.com:3478?transport=udp"


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"collab_ice_servers": ["https://turn.example.com"]}, "not a stun:, turn: or turns: URL"),
        ({"collab_ice_servers": ["stun:"]}, "not a stun:, turn: or turns: URL"),
        ({"collab_ice_servers": ["stun:a.example.com:3478 turn:b"]}, "not a stun:, turn: or turns: URL"),
        ({"collab_ice_servers": [TURN]}, "set collab_turn_secret"),
        ({"collab_ice_servers": [TURN], "collab_turn_secret": "  "}, "set collab_turn_secret"),
        ({"collab_ice_servers": ["stun:a.example.com"], "collab_ice_transport_policy": "relay"}, "needs a turn:"),
        ({"collab_ice_servers": [TURN], "collab_turn_secret": "change-me", "environment": "production"}, "real secret"),
    ],
)
def test_a_configuration_browsers_cannot_use_is_refused(overrides: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        gateway_settings(**overrides)


def test_an_empty_turn_secret_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # As an .env file copied from .env.example leaves it.
    monkeypatch.setenv("CRH_GATEWAY_COLLAB_TURN_SECRET", "")
    assert GatewaySettings().collab_turn_secret is None


def test_stun_servers_as_they_are_and_turn_servers_with_the_participants_credentials() -> None:
    settings = gateway_settings(
        collab_ice_servers=["stun:a.example.com:3478", TURN, "turns:turn.example.com:5349", "stun:b.example.com"],
        collab_turn_secret="shared",
        collab_turn_credential_ttl_s=3600,
    )
    participant = uuid.uuid4()
    servers, expires_at = ice_servers(settings, participant, 1_700_000_000.7)
    username = f"1700003600:{participant}"
    credential = base64.b64encode(hmac.new(b"shared", username.encode(), hashlib.sha1).digest()).decode()
    assert servers == [
        IceServer(urls=["stun:a.example.com:3478", "stun:b.example.com"]),
        IceServer(urls=[TURN, "turns:turn.example.com:5349"], username=username, credential=credential),
    ]
    assert expires_at is not None
    assert expires_at.timestamp() == 1_700_003_600
    assert ice_servers(gateway_settings(), participant, 0.0) == ([], None)
