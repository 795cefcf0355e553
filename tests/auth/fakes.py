"""Local HTTP servers that speak the external protocols the auth service uses, so the real client
code (the twilio SDK, authlib) runs unchanged against them:

- Twilio Verify v2: Verifications and VerificationCheck (HTTP Basic auth, form bodies, Twilio's
  JSON and error shapes);
- a Google-style OpenID Connect provider: discovery, authorize, token (PKCE S256 enforced,
  RS256 ID tokens carrying the nonce), JWKS, userinfo;
- a GitHub-style OAuth 2 provider: authorize, access_token (PKCE enforced), user, user/emails.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

TWILIO_ACCOUNT = "AC" + "0" * 32
TWILIO_TOKEN = "test-twilio-token"
TWILIO_SERVICE = "VA" + "1" * 32


@dataclass
class FakeTwilio:
    """Twilio Verify, as far as the auth service uses it. ``codes`` holds what was 'sent'."""

    codes: dict[str, str] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    checks: int = 0
    # Answered, in order, instead of the next requests (Twilio failing: rate limits, outages).
    failures: list[Response] = field(default_factory=list)
    # The status VerificationCheck reports for the next checks (e.g. "expired", "canceled").
    check_status: str | None = None

    def fail_next(self, status: int, code: int, message: str = "Too many requests") -> None:
        """Twilio's classic error shape (what the Verify API answers today)."""
        self.failures.append(self._error(status, code, message))

    def fail_next_as_problem(self, status: int, code: int) -> None:
        """Twilio's RFC 9457 error shape (the SDK raises a different exception for it)."""
        body = {"type": f"https://www.twilio.com/docs/errors/{code}", "title": "Service error", "status": status}
        self.failures.append(JSONResponse({**body, "code": code}, status_code=status))

    def fail_next_from_proxy(self, status: int) -> None:
        """What an edge proxy in front of Twilio answers when it is down: HTML, not JSON."""
        self.failures.append(Response("<html><body>Bad gateway</body></html>", status, media_type="text/html"))

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{TWILIO_ACCOUNT}:{TWILIO_TOKEN}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _error(self, status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )

    def _verification(self, to: str, status: str, service: str) -> dict[str, Any]:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {
            "sid": "VE" + secrets.token_hex(16),
            "service_sid": service,
            "account_sid": TWILIO_ACCOUNT,
            "to": to,
            "channel": "sms",
            "status": status,
            "valid": status == "approved",
            "date_created": now,
            "date_updated": now,
            "lookup": {},
            "amount": None,
            "payee": None,
            "send_code_attempts": [],
            "sna": None,
            "url": f"https://verify.twilio.com/v2/Services/{service}/Verifications",
        }

    async def create_verification(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        service = request.path_params["service"]
        if service != TWILIO_SERVICE:
            return self._error(404, 20404, "The requested resource was not found")
        form = await request.form()
        to, channel = str(form.get("To", "")), str(form.get("Channel", ""))
        if not to.startswith("+") or channel != "sms":
            return self._error(400, 60200, "Invalid parameter")
        self.codes[to] = f"{secrets.randbelow(1_000_000):06d}"
        self.sent.append(to)
        return JSONResponse(self._verification(to, "pending", service), status_code=201)

    async def check_verification(self, request: Request) -> Response:
        if self.failures:
            return self.failures.pop(0)
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        form = await request.form()
        to, code = str(form.get("To", "")), str(form.get("Code", ""))
        self.checks += 1
        if to not in self.codes:
            return self._error(404, 20404, "The requested resource was not found")
        if self.check_status is not None:
            return JSONResponse(self._verification(to, self.check_status, request.path_params["service"]))
        if code != self.codes[to]:
            return JSONResponse(self._verification(to, "pending", request.path_params["service"]))
        del self.codes[to]
        return JSONResponse(self._verification(to, "approved", request.path_params["service"]))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/Services/{service}/Verifications", self.create_verification, methods=["POST"]),
                Route("/v2/Services/{service}/VerificationCheck", self.check_verification, methods=["POST"]),
            ]
        )


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class PendingCode:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: dict[str, Any]


@dataclass
class FakeProviders:
    """One server, two providers under /google and /github. ``google_user`` / ``github_user`` /
    ``github_emails`` say who signs in next."""

    base_url: str = ""
    client_id: str = "test-client"
    client_secret: str = "test-secret"
    google_user: dict[str, Any] = field(default_factory=dict)
    github_user: dict[str, Any] = field(default_factory=dict)
    github_emails: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, PendingCode] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "google-test"}))
    refused: list[str] = field(default_factory=list)
    # Sign the next ID tokens with a key the provider does not publish (a forgery).
    forge_id_tokens: bool = False
    forger: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "google-test"}))
    # Claims that replace the right ones in the next ID tokens (a wrong nonce, issuer, audience...).
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    # Answer the token request without an ID token at all.
    omit_id_token: bool = False

    # --- shared pieces

    def _authorize(self, request: Request, user: dict[str, Any], need_nonce: bool) -> Response:
        params = request.query_params
        problems = []
        if params.get("client_id") != self.client_id:
            problems.append("client_id")
        if params.get("response_type") != "code":
            problems.append("response_type")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            problems.append("pkce")
        if not params.get("state"):
            problems.append("state")
        if need_nonce and not params.get("nonce"):
            problems.append("nonce")
        if problems:
            self.refused.extend(problems)
            return JSONResponse({"error": "invalid_request", "error_description": ",".join(problems)}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = PendingCode(
            self.client_id, params["redirect_uri"], params["code_challenge"], params.get("nonce"), dict(user)
        )
        query = urlencode({"code": code, "state": params["state"]})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def _redeem(self, request: Request) -> tuple[PendingCode | None, str]:
        form = await request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        pending = self.codes.pop(str(form.get("code", "")), None)
        if pending is None or client_id != self.client_id or client_secret != self.client_secret:
            return None, "invalid_client_or_code"
        if form.get("redirect_uri") != pending.redirect_uri:
            return None, "redirect_uri_mismatch"
        if s256(str(form.get("code_verifier", ""))) != pending.challenge:
            self.refused.append("code_verifier")
            return None, "invalid_grant"
        return pending, ""

    # --- Google-style OpenID Connect

    async def google_discovery(self, request: Request) -> Response:
        base = f"{self.base_url}/google"
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def google_authorize(self, request: Request) -> Response:
        return self._authorize(request, self.google_user, need_nonce=True)

    async def google_token(self, request: Request) -> Response:
        pending, error = await self._redeem(request)
        if pending is None:
            return JSONResponse({"error": error}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": f"{self.base_url}/google",
            "aud": pending.client_id,
            "iat": now,
            "exp": now + 600,
            "nonce": pending.nonce,
            **pending.user,
            **self.id_token_overrides,
        }
        key = self.forger if self.forge_id_tokens else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "google-test"}, claims, key)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = pending.user
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": 600, "scope": "openid email profile"}
        if not self.omit_id_token:
            answer["id_token"] = id_token
        return JSONResponse(answer)

    async def google_jwks(self, request: Request) -> Response:
        return JSONResponse(
            {"keys": [{**self.key.as_dict(private=False), "kid": "google-test", "use": "sig", "alg": "RS256"}]}
        )

    async def google_userinfo(self, request: Request) -> Response:
        user = self.tokens.get(request.headers.get("authorization", "")[7:])
        return JSONResponse(user) if user else JSONResponse({"error": "invalid_token"}, status_code=401)

    # --- GitHub-style OAuth 2

    async def github_authorize(self, request: Request) -> Response:
        return self._authorize(request, self.github_user, need_nonce=False)

    async def github_token(self, request: Request) -> Response:
        pending, error = await self._redeem(request)
        if pending is None:
            return JSONResponse({"error": error})  # GitHub answers 200 with an error field
        access = secrets.token_urlsafe(16)
        self.tokens[access] = pending.user
        return JSONResponse({"access_token": access, "token_type": "bearer", "scope": "read:user,user:email"})

    def _github_token_user(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "")
        return self.tokens.get(header.split(" ", 1)[1]) if " " in header else None

    async def github_user_endpoint(self, request: Request) -> Response:
        user = self._github_token_user(request)
        return JSONResponse(user) if user else JSONResponse({"message": "Bad credentials"}, status_code=401)

    async def github_emails_endpoint(self, request: Request) -> Response:
        if self._github_token_user(request) is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(self.github_emails)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/google/.well-known/openid-configuration", self.google_discovery),
                Route("/google/authorize", self.google_authorize),
                Route("/google/token", self.google_token, methods=["POST"]),
                Route("/google/jwks", self.google_jwks),
                Route("/google/userinfo", self.google_userinfo),
                Route("/github/login/oauth/authorize", self.github_authorize),
                Route("/github/login/oauth/access_token", self.github_token, methods=["POST"]),
                Route("/github/api/user", self.github_user_endpoint),
                Route("/github/api/user/emails", self.github_emails_endpoint),
            ]
        )
