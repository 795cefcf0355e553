"""The webhook SSRF guard and signatures (shared/webhooks.py), without the network.

Resolution goes through the system resolver only for names /etc/hosts answers (localhost);
other names use a resolver function, so no DNS query leaves the machine."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Sequence

import pytest

from shared.webhooks import (
    UrlRefused,
    check_callback_url,
    parse_callback_url,
    parse_networks,
    refusal_reason,
    resolve_destination,
    signature_header,
    system_resolver,
    verify_signature,
)

# Every spelling of a non-public destination: refused before any connection or resolution.
REFUSED = {
    "http://127.0.0.1/": "loopback",
    "http://2130706433/": "127.0.0.1 is a loopback",
    "http://0177.0.0.1/": "127.0.0.1 is a loopback",
    "http://0x7f.0.0.1/": "127.0.0.1 is a loopback",
    "http://0x7f000001/": "127.0.0.1 is a loopback",
    "http://017700000001/": "127.0.0.1 is a loopback",
    "http://127.1/": "127.0.0.1 is a loopback",
    "http://127.0.0.1./": "127.0.0.1 is a loopback",
    "http://0/": "0.0.0.0 is an unspecified",
    "http://0.0.0.0:8080/": "unspecified",
    "http://10.0.0.1/": "private",
    "http://172.16.5.4/": "private",
    "http://192.168.1.1/": "private",
    "http://100.64.0.1/": "carrier-grade NAT",
    "http://169.254.169.254/latest/meta-data/": "metadata",
    "http://169.254.1.1/": "link-local",
    "http://100.100.100.200/": "metadata",
    "http://224.0.0.1/": "multicast",
    "http://240.0.0.1/": "240.0.0.1 is",
    "http://255.255.255.255/": "255.255.255.255 is",
    "http://[::1]/": "loopback",
    "http://[::]/": "unspecified",
    "http://[::ffff:127.0.0.1]/": "embeds 127.0.0.1, a loopback",
    "http://[::ffff:7f00:1]/": "embeds 127.0.0.1, a loopback",
    "http://[0:0:0:0:0:ffff:7f00:1]/": "embeds 127.0.0.1",
    "http://[::ffff:a9fe:a9fe]/": "embeds 169.254.169.254, a cloud metadata",
    "http://[::127.0.0.1]/": "embeds 127.0.0.1",
    "http://[::10.0.0.1]/": "embeds 10.0.0.1, a private",
    "http://[64:ff9b::7f00:1]/": "embeds 127.0.0.1",
    "http://[64:ff9b::a00:1]/": "embeds 10.0.0.1, a private",
    "http://[2002:7f00:1::1]/": "embeds 127.0.0.1",
    "http://[2002:c0a8:101::]/": "embeds 192.168.1.1",
    "http://[fe80::1]/": "link-local",
    "http://[fe80::1%25eth0]/": "link-local",
    "http://[fc00::1]/": "private",
    "http://[fd12:3456::1]/": "private",
    "http://[fd00:ec2::254]/": "metadata",
    "http://[fec0::1]/": "site-local",
    "http://[ff02::1]/": "multicast",
    "http://localhost/": "local or internal host",
    "http://LOCALHOST:8000/": "local or internal host",
    "http://localhost./": "local or internal host",
    "http://api.localhost/": "local or internal host",
    "http://metadata.google.internal/computeMetadata/v1/": "local or internal host",
    "http://metadata/": "local or internal host",
    "http://printer.local/": "local or internal host",
    "http://intranet/": "not a fully qualified domain name",
    "ftp://example.com/": "only http and https",
    "file:///etc/passwd": "only http and https",
    "gopher://example.com/": "only http and https",
    "http://user:pass@example.com/": "credentials",
    "http://example.com@127.0.0.1/": "credentials",
    "http://1.2.3.4.5/": "not a valid IPv4 address",
    "http://256.1.1.1/": "not a valid IPv4 address",
    "http://08.1.1.1/": "not a valid IPv4 address",
    "http://example.123/": "not a valid IPv4 address",
    "http://%31%32%37.0.0.1/": "not a valid IPv4 address",
    "http://ex%61mple.com/": "not a valid host name",
    "http://exa mple.com/": "printable ASCII",
    "http://127.0.0.1\\@example.com/": "backslashes",
    "http://bücher.example/": "printable ASCII",
    "http://example.com:99999/": "malformed",
    "http://example.com:0/": "port 0",
    "http:///path": "no host",
    "http://[not-an-address]/": "malformed",
}


@pytest.mark.parametrize(("url", "reason"), sorted(REFUSED.items()))
def test_refused_urls(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        check_callback_url(url)
    assert reason in str(refused.value)


def test_too_long_urls_are_refused() -> None:
    url = "https://example.com/" + "a" * 2040
    with pytest.raises(UrlRefused, match="longer than 2048"):
        check_callback_url(url)
    assert check_callback_url(url[:2048]).host == "example.com"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "http://example.com:8080/a/b?x=1&y=2",
        "http://8.8.8.8/",
        "http://134744072/",  # 8.8.8.8 in decimal: an encoding is not a refusal by itself
        "http://[2606:4700:4700::1111]/",
        "http://[64:ff9b::808:808]/",  # NAT64 of a public address
        "http://[2002:808:808::1]/",  # 6to4 of a public address
    ],
)
def test_public_urls_are_accepted(url: str) -> None:
    check_callback_url(url)


def test_parsed_parts_drive_the_request() -> None:
    callback = parse_callback_url("HTTPS://Example.COM./hooks/run?id=1#fragment")
    assert (callback.scheme, callback.host, callback.port, callback.target) == (
        "https",
        "example.com",
        443,
        "/hooks/run?id=1",
    )
    assert callback.host_header == "example.com"
    assert parse_callback_url("http://example.com:8080").host_header == "example.com:8080"
    literal = parse_callback_url("http://0x08.8.8.8:81/")
    assert literal.literal == ipaddress.ip_address("8.8.8.8")
    assert literal.host_header == "8.8.8.8:81"


def test_allowed_networks_lift_the_refusal_only_inside_them() -> None:
    allowed = parse_networks(["127.0.0.0/8"])
    assert check_callback_url("http://127.0.0.1:9000/hook", allowed).port == 9000
    assert check_callback_url("http://2130706433/", allowed).literal == ipaddress.ip_address("127.0.0.1")
    with pytest.raises(UrlRefused, match="private"):
        check_callback_url("http://10.0.0.1/", allowed)
    with pytest.raises(UrlRefused, match="loopback"):
        check_callback_url("http://[::1]/", allowed)
    # Names are refused by name whatever the networks allow.
    with pytest.raises(UrlRefused, match="local or internal"):
        check_callback_url("http://localhost:9000/", allowed)


def test_every_non_public_class_has_a_reason() -> None:
    assert refusal_reason(ipaddress.ip_address("93.184.215.14")) is None
    assert refusal_reason(ipaddress.ip_address("2a00:1450:4001:80b::200e")) is None
    for address in ("192.0.0.170", "198.18.0.1", "192.0.2.1", "203.0.113.9", "2001:db8::1", "::ffff:0:0"):
        assert refusal_reason(ipaddress.ip_address(address)) is not None, address


async def test_names_resolving_to_loopback_are_refused() -> None:
    """A real resolution: localhost (from /etc/hosts) resolves to loopback, so it is refused
    by its addresses as well as by its name."""
    callback = parse_callback_url("http://example.com/")
    localhost = callback.__class__("http://localhost/", "http", "localhost", 80, "/", None)
    assert "127.0.0.1" in await system_resolver("localhost", 80)
    with pytest.raises(UrlRefused, match=r"'localhost' resolves to 127\.0\.0\.1: .*loopback"):
        await resolve_destination(localhost, resolver=system_resolver)


async def test_every_resolved_address_must_be_public() -> None:
    answers: dict[str, Sequence[str]] = {
        "rebind.example.com": ["93.184.215.14", "10.0.0.7"],
        "mapped.example.com": ["::ffff:169.254.169.254"],
        "public.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "empty.example.com": [],
    }

    async def resolver(host: str, port: int) -> Sequence[str]:
        return answers[host]

    async def check(host: str) -> str:
        destination = await resolve_destination(parse_callback_url(f"https://{host}/hook"), resolver=resolver)
        return destination.pinned_url()

    with pytest.raises(UrlRefused, match=r"resolves to 10\.0\.0\.7: .*private"):
        await check("rebind.example.com")
    with pytest.raises(UrlRefused, match="metadata"):
        await check("mapped.example.com")
    with pytest.raises(UrlRefused, match="no addresses"):
        await check("empty.example.com")
    # The delivery connects to the vetted address itself: nothing is resolved again.
    assert await check("public.example.com") == "https://93.184.215.14:443/hook"


async def test_resolution_failures_and_timeouts_refuse() -> None:
    async def failing(host: str, port: int) -> Sequence[str]:
        raise OSError(-2, "Name or service not known")

    async def slow(host: str, port: int) -> Sequence[str]:
        import asyncio

        await asyncio.sleep(5)
        return ["93.184.215.14"]

    callback = parse_callback_url("https://nowhere.example.com/")
    with pytest.raises(UrlRefused, match="could not be resolved"):
        await resolve_destination(callback, resolver=failing)
    with pytest.raises(UrlRefused, match="timed out"):
        await resolve_destination(callback, resolver=slow, timeout_s=0.05)


def test_signatures() -> None:
    secret, body = "whsec_test", b'{"id":"x","verdict":"ok"}'
    header = signature_header(secret, body, timestamp=1_800_000_000)
    expected = hmac.new(secret.encode(), b"1800000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"
    assert verify_signature(secret, header, body, now=1_800_000_010)
    assert not verify_signature(secret, header, body.replace(b"ok", b"no"), now=1_800_000_010)
    assert not verify_signature("whsec_other", header, body, now=1_800_000_010)
    assert not verify_signature(secret, header, body, now=1_800_001_000)  # too old: a replay
    assert not verify_signature(secret, "v1=" + expected, body)
    assert not verify_signature(secret, "garbage", body)
