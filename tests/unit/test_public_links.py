"""Where absolute links point (services/gateway/links.py), from a request's scope or public_url."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.links import PublicBase


def scope(scheme: str, host: bytes | None, root_path: str = "") -> dict[str, Any]:
    headers = [(b"host", host)] if host is not None else []
    return {"type": "http", "scheme": scheme, "headers": headers, "root_path": root_path}


@pytest.mark.parametrize(
    ("scheme", "host", "root", "expected"),
    [
        ("http", b"127.0.0.1:8000", "", PublicBase("http://127.0.0.1:8000", "ws://127.0.0.1:8000")),
        # uvicorn's proxy headers turned X-Forwarded-Proto: https into the scope's scheme.
        ("https", b"api.example.com", "", PublicBase("https://api.example.com", "wss://api.example.com")),
        ("wss", b"api.example.com", "", PublicBase("https://api.example.com", "wss://api.example.com")),
        ("ws", b"[::1]:8000", "/crh/", PublicBase("http://[::1]:8000/crh", "ws://[::1]:8000/crh")),
    ],
)
def test_links_follow_the_request(scheme: str, host: bytes, root: str, expected: PublicBase) -> None:
    assert PublicBase.of_scope(scope(scheme, host, root)) == expected


@pytest.mark.parametrize("host", [None, b"", b"evil.example/phish?", b"user@evil.example", b"a b", b"x:y:z"])
def test_an_unusable_host_leaves_links_relative(host: bytes | None) -> None:
    assert PublicBase.of_scope(scope("https", host)) is None


def test_an_absolute_public_url() -> None:
    assert PublicBase.of_url("https://run.example.com/") == PublicBase(
        "https://run.example.com", "wss://run.example.com"
    )
    assert PublicBase.of_url("http://10.0.0.5:8000/api") == PublicBase(
        "http://10.0.0.5:8000/api", "ws://10.0.0.5:8000/api"
    )
    for relative in ("/", "", "ftp://example.com", "https://"):
        assert PublicBase.of_url(relative) is None
