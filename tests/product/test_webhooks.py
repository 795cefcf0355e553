"""Webhooks end to end: a real executor POSTs results to a local receiver on 127.0.0.1.

The session executor allows loopback destinations (tests/conftest.py); gateways refuse them
unless built with webhook_allowed_networks, as the `hook_gw` gateway here is. Refusal tests use
the default gateway (`gw`, nothing allowed) and never reach the refused addresses."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import ssl
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.executor.webhooks import AttemptResult, post, transport
from services.gateway.app import create_app as create_gateway_app
from shared.settings import ExecutorSettings
from shared.webhooks import Destination, parse_callback_url, verify_signature
from tests.auth_support import AuthService, bearer
from tests.conftest import free_port, serve
from tests.product.conftest import Account, MakeAccount, product_settings

# No WebSocket read waits longer than this: a stuck stream fails the test, never hangs it.
WS_S = 60

PROGRAM = {"language": "python", "source": "print('hello from the sandbox')"}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


def receiver_app(receiver: Receiver) -> Starlette:
    async def hook(request: Request) -> Response:
        path = request.url.path
        receiver.requests.append(Received(path, dict(request.headers), await request.body()))
        receiver.hits[path] += 1
        kind = path.split("/")[1]
        if kind == "flaky" and receiver.hits[path] <= 2:
            return Response("try again", status_code=500)
        if kind == "redirect":
            return Response(status_code=302, headers={"location": f"/ok{path}-followed"})
        return Response("thanks")

    return Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])


@pytest_asyncio.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")
    async with serve(receiver_app(state)) as url:
        state.url = url
        yield state


@pytest_asyncio.fixture(scope="module")
async def hook_gw(auth: AuthService, executor: subprocess.Popen[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway accepting loopback callbacks (127.0.0.0/8, and ::1 which the executor refuses)."""
    settings = product_settings(auth, webhook_allowed_networks=["127.0.0.0/8", "::1/128"])
    async with serve(create_gateway_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=120) as client:
        yield client


async def secret_of(client: httpx.AsyncClient, account: Account) -> str:
    response = await client.get("/v1/webhooks/secret", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["signature_header"] == "CodeRunHub-Signature"
    secret: str = body["secret"]
    return secret


async def submit(client: httpx.AsyncClient, account: Account, callback_url: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/executions", json={**PROGRAM, "callback_url": callback_url}, headers=account.headers
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["webhook"] == {
        "url": callback_url,
        "status": "pending",
        "attempts": 0,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
    }
    return body


async def settled(
    client: httpx.AsyncClient, account: Account, execution_id: str, timeout: float = 60
) -> dict[str, Any]:
    """The execution once its webhook is no longer pending."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/v1/executions/{execution_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["webhook"]["status"] != "pending":
            return body
        assert asyncio.get_running_loop().time() < deadline, f"webhook still pending: {body['webhook']}"
        await asyncio.sleep(0.1)


def independent_check(secret: str, header: str, body: bytes) -> bool:
    """Verification exactly as docs/api.md tells integrators, without the project's helper."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


REFUSED_AT_SUBMISSION = [
    "http://127.0.0.1:8000/hook",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://0/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/",
    "http://224.0.0.251/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://localhost:8000/",
    "http://svc.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "ftp://example.com/",
    "http://user:secret@example.com/",
    "not a url",
]


@pytest.mark.usefixtures("nothing_queued")
async def test_private_destinations_are_refused_at_submission(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    for url in REFUSED_AT_SUBMISSION:
        response = await gw.post("/v1/executions", json={**PROGRAM, "callback_url": url}, headers=account.headers)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["loc"] == ["body", "callback_url"], url
        assert error["type"] == "callback_url_refused", url


async def test_callback_hosts_are_resolved_on_every_way_in(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    """A well-formed name that does not resolve (RFC 6761 `.invalid`) is refused only by resolving
    it: POST, batches and interactive starts all do."""
    account = await make_account()
    hook = {**PROGRAM, "callback_url": "http://callback.invalid:9/hook"}
    posted = await gw.post("/v1/executions", json=hook, headers=account.headers)
    assert posted.status_code == 422
    assert posted.json()["errors"][0]["loc"] == ["body", "callback_url"]
    batch = await gw.post("/v1/batches", json={"executions": [PROGRAM, hook]}, headers=account.headers)
    assert batch.status_code == 422
    assert batch.json()["errors"][0]["loc"] == ["body", "executions", 1, "callback_url"]
    ws_url = str(gw.base_url.copy_with(scheme="ws")) + "/v1/executions/interactive"
    async with connect(ws_url, additional_headers=account.headers) as ws, asyncio.timeout(WS_S):
        await ws.send(json.dumps({"type": "start", **hook}))
        refused = json.loads(await ws.recv())
        with contextlib.suppress(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4400
    assert refused["problem"]["status"] == 422
    assert refused["problem"]["errors"][0]["type"] == "callback_url_refused"


@pytest.mark.usefixtures("nothing_queued")
async def test_callback_urls_are_bounded_and_need_an_account(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account()
    too_long = "https://example.com/" + "a" * 2048
    response = await gw.post("/v1/executions", json={**PROGRAM, "callback_url": too_long}, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "callback_url"]

    anonymous = await gw.post("/v1/executions", json={**PROGRAM, "callback_url": "https://example.com/hook"})
    assert anonymous.status_code == 422
    [error] = anonymous.json()["errors"]
    assert error["loc"] == ["body", "callback_url"]
    assert "need an account" in error["msg"]


async def test_delivery_is_signed_and_visible_on_the_execution(
    hook_gw: httpx.AsyncClient, receiver: Receiver, make_account: MakeAccount
) -> None:
    account = await make_account()
    secret = await secret_of(hook_gw, account)
    assert secret.startswith("whsec_")
    path = f"/ok/{uuid.uuid4()}"
    created = await submit(hook_gw, account, receiver.url + path)

    finished = await settled(hook_gw, account, created["id"])
    webhook = finished["webhook"]
    assert webhook["status"] == "delivered", webhook
    assert webhook["attempts"] == 1
    assert webhook["last_status_code"] == 200
    assert webhook["last_error"] is None
    assert webhook["delivered_at"] is not None

    [delivery] = receiver.at(path)
    headers = delivery.headers
    assert headers["content-type"] == "application/json"
    assert headers["coderunhub-event"] == "execution.finished"
    assert uuid.UUID(headers["coderunhub-delivery"])
    assert headers["host"] == receiver.url.removeprefix("http://")
    signature = headers["coderunhub-signature"]
    assert verify_signature(secret, signature, delivery.body)
    assert independent_check(secret, signature, delivery.body)
    # A tampered body, or another secret, does not verify.
    tampered = delivery.body.replace(b"hello from the sandbox", b"hello from an attacker")
    assert tampered != delivery.body
    assert not verify_signature(secret, signature, tampered)
    assert not independent_check(secret, signature, tampered)
    assert not independent_check(await secret_of(hook_gw, await make_account()), signature, delivery.body)

    # The body is the execution as the API shows it.
    payload = json.loads(delivery.body)
    assert payload["id"] == created["id"]
    assert payload["status"] == "finished"
    assert payload["verdict"] == "ok"
    assert payload["run"]["stdout"] == "hello from the sandbox\n"
    assert payload["run"]["encoding"] == "text"
    for key in ("id", "language", "version", "status", "verdict", "message", "limits", "compile", "run"):
        assert payload[key] == finished[key], key
    # The executor does not know where callers reach the API: its links are the paths of the API's.
    assert payload["links"] == {k: urlsplit(v).path for k, v in finished["links"].items()}
    assert "webhook" not in payload


async def test_failed_attempts_are_retried_with_backoff(
    hook_gw: httpx.AsyncClient, receiver: Receiver, make_account: MakeAccount
) -> None:
    account = await make_account()
    secret = await secret_of(hook_gw, account)
    path = f"/flaky/{uuid.uuid4()}"
    created = await submit(hook_gw, account, receiver.url + path)

    webhook = (await settled(hook_gw, account, created["id"]))["webhook"]
    assert webhook["status"] == "delivered", webhook
    assert webhook["attempts"] == 3
    assert webhook["last_status_code"] == 200

    attempts = receiver.at(path)
    assert [r.headers["coderunhub-attempt"] for r in attempts] == ["1", "2", "3"]
    # One delivery, retried: the same delivery id, each attempt signed afresh.
    assert len({r.headers["coderunhub-delivery"] for r in attempts}) == 1
    assert all(verify_signature(secret, r.headers["coderunhub-signature"], r.body) for r in attempts)


async def test_redirects_are_not_followed(
    hook_gw: httpx.AsyncClient, receiver: Receiver, make_account: MakeAccount
) -> None:
    account = await make_account()
    path = f"/redirect/{uuid.uuid4()}"
    created = await submit(hook_gw, account, receiver.url + path)

    webhook = (await settled(hook_gw, account, created["id"]))["webhook"]
    assert webhook["status"] == "failed", webhook
    # Every attempt the test executor makes (CRH_EXECUTOR_WEBHOOK_MAX_ATTEMPTS=4) met the redirect.
    assert webhook["attempts"] == 4
    assert webhook["last_status_code"] == 302
    assert "not followed" in webhook["last_error"]
    assert len(receiver.at(path)) == 4
    assert receiver.at(f"/ok{path}-followed") == []


async def test_destinations_are_checked_again_at_delivery(
    hook_gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    """This gateway accepts ::1, the executor does not: the delivery is refused, never attempted."""
    account = await make_account()
    created = await submit(hook_gw, account, "http://[::1]:9/hook")
    webhook = (await settled(hook_gw, account, created["id"]))["webhook"]
    assert webhook["status"] == "refused", webhook
    assert webhook["attempts"] == 1
    assert webhook["last_status_code"] is None
    assert "::1 is a loopback address" in webhook["last_error"]


async def test_the_secret_is_the_owners_and_rotates(
    hook_gw: httpx.AsyncClient, receiver: Receiver, make_account: MakeAccount
) -> None:
    assert (await hook_gw.get("/v1/webhooks/secret")).status_code == 401
    assert (await hook_gw.post("/v1/webhooks/secret/rotate")).status_code == 401

    account, other = await make_account(), await make_account()
    first = await secret_of(hook_gw, account)
    assert await secret_of(hook_gw, account) == first
    assert await secret_of(hook_gw, other) != first

    rotated = await hook_gw.post("/v1/webhooks/secret/rotate", headers=account.headers)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["secret"]
    assert second != first
    assert rotated.json()["rotated_at"] is not None
    assert await secret_of(hook_gw, account) == second

    # Deliveries from now on are signed with the new secret.
    path = f"/ok/{uuid.uuid4()}"
    created = await submit(hook_gw, account, receiver.url + path)
    assert (await settled(hook_gw, account, created["id"]))["webhook"]["status"] == "delivered"
    [delivery] = receiver.at(path)
    assert verify_signature(second, delivery.headers["coderunhub-signature"], delivery.body)
    assert not verify_signature(first, delivery.headers["coderunhub-signature"], delivery.body)


# The delivery's connection itself: pinned to the vetted address, the name kept for Host and TLS.


async def test_delivery_connects_to_the_vetted_address_with_the_original_name(receiver: Receiver) -> None:
    """The name is never resolved again (it does not even exist): the request goes to the vetted
    address and carries the name in Host."""
    port = int(receiver.url.rsplit(":", 1)[1])
    callback = parse_callback_url(f"http://hooks.invalid-name.example:{port}/ok/pinned?x=1")
    destination = Destination(callback, ipaddress.ip_address("127.0.0.1"))
    result = await post(destination, b"{}", {"Content-Type": "application/json"}, ExecutorSettings())
    assert result == AttemptResult(True, 200, None)
    [request] = receiver.at("/ok/pinned")
    assert request.headers["host"] == f"hooks.invalid-name.example:{port}"


def certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(signer, hashes.SHA256())


@contextlib.asynccontextmanager
async def tls_receiver(receiver: Receiver, directory: Path, name: str) -> AsyncIterator[tuple[int, ssl.SSLContext]]:
    """The receiver over TLS on 127.0.0.1 with a certificate for `name`, and a context trusting its CA."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = certificate("test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = certificate(name, key, ca_name, ca_key, ca=False)
    (directory / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    trust = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    port = free_port()
    config = uvicorn.Config(
        receiver_app(receiver),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        ssl_certfile=str(directory / "cert.pem"),
        ssl_keyfile=str(directory / "key.pem"),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.02)
        yield port, trust
    finally:
        server.should_exit = True
        await task


async def test_https_deliveries_verify_the_certificate_of_the_original_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = Receiver(url="")
    async with tls_receiver(state, tmp_path, "hooks.example.com") as (port, trust):
        monkeypatch.setattr(transport, "_tls_context", lambda: trust)
        address = ipaddress.ip_address("127.0.0.1")
        settings = ExecutorSettings()

        good = Destination(parse_callback_url(f"https://hooks.example.com:{port}/ok/tls"), address)
        assert await post(good, b"{}", {}, settings) == AttemptResult(True, 200, None)
        [request] = state.at("/ok/tls")
        assert request.headers["host"] == f"hooks.example.com:{port}"

        # Same address, another name: the certificate does not match it, nothing is sent.
        wrong = Destination(parse_callback_url(f"https://other.example.com:{port}/ok/wrong"), address)
        result = await post(wrong, b"{}", {}, settings)
        assert not result.delivered
        assert result.error is not None
        assert "certificate" in result.error.lower() or "hostname" in result.error.lower()
        assert state.at("/ok/wrong") == []


async def test_api_keys_read_the_secret_with_account_read_and_never_rotate_it(
    gw: httpx.AsyncClient, auth: AuthService, make_account: MakeAccount
) -> None:
    account = await make_account()
    secret = await secret_of(gw, account)

    async def key(*scopes: str) -> dict[str, str]:
        response = await auth.client.post(
            "/auth/v1/api-keys", headers=account.headers, json={"name": "hooks", "scopes": list(scopes)}
        )
        assert response.status_code == 201, response.text
        return bearer(response.json()["key"])

    reader, runner = await key("account:read"), await key("executions:write")
    read = await gw.get("/v1/webhooks/secret", headers=reader)
    assert read.status_code == 200
    assert read.json()["secret"] == secret
    assert (await gw.get("/v1/webhooks/secret", headers=runner)).status_code == 403
    refused = await gw.post("/v1/webhooks/secret/rotate", headers=reader)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert await secret_of(gw, account) == secret
