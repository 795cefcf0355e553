"""HTTP plumbing shared by every resource: credentials, retries on 429/503, problem+json errors."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from coderunhub import errors

__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8000"
M = TypeVar("M", bound=BaseModel)
RetryHook = Callable[[errors.ProblemError, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of refusals the API promises had no effect (429 and 503 create nothing)."""

    #: Retries after the first attempt; 0 turns retrying off.
    max_retries: int = 3
    #: A Retry-After longer than this is not waited for: the error is raised at once.
    max_wait_s: float = 60.0
    #: Wait when a 429/503 (or a refused connection) carries no Retry-After.
    default_wait_s: float = 1.0


def env_url() -> str:
    return os.environ.get("CRH_URL") or DEFAULT_URL


def websocket_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url.removeprefix("https://")
    return "ws://" + http_url.removeprefix("http://")


class Transport:
    """One httpx.AsyncClient for the gateway and the auth service (by default the same origin:
    nginx routes /auth/ in production, and `make run`'s gateway proxies it)."""

    def __init__(
        self,
        base_url: str | None,
        *,
        api_key: str | None,
        access_token: str | None,
        auth_url: str | None,
        timeout: float,
        retry: RetryPolicy,
        on_retry: RetryHook | None,
        headers: Mapping[str, str] | None,
        http: httpx.AsyncClient | None,
    ) -> None:
        if api_key is not None and access_token is not None:
            raise ValueError("pass api_key or access_token, not both")
        # The gateway tells keys from access tokens by this prefix (shared/auth/api_keys.py): a
        # token passed as a key would fail later, and less clearly.
        if api_key is not None and not api_key.startswith("crh_"):
            raise ValueError("API keys look like crh_<prefix>_<secret>; pass an access token as access_token=")
        self.base_url = (base_url or env_url()).rstrip("/")
        self.auth_url = (auth_url or self.base_url).rstrip("/")
        self.credential = api_key if api_key is not None else access_token
        self.retry = retry
        self.on_retry = on_retry
        self.headers = {"User-Agent": f"coderunhub-python/{__version__}", **(headers or {})}
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.credential:
            headers["Authorization"] = f"Bearer {self.credential}"
        return headers

    def use_credential(self, credential: str | None) -> None:
        """Switch credentials (e.g. the access token of a phone sign-in)."""
        self.credential = credential

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_service: bool = False,
    ) -> httpx.Response:
        """Send, retrying 429/503 (and refused connections) as the policy allows; raise a
        ProblemError for any other error status."""
        # Only paths: credentials go to the origin the caller configured, never to a URL an
        # answer named (links and Location headers are turned into paths first).
        url = (self.auth_url if auth_service else self.base_url) + path
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        all_headers = {**self.auth_headers(), **(headers or {})}
        attempt = 0
        while True:
            try:
                response = await self.http.request(method, url, json=json, params=query, headers=all_headers)
            except httpx.ConnectError:
                # Nothing reached the server: safe to try again, whatever the method.
                if attempt >= self.retry.max_retries:
                    raise
                attempt += 1
                await asyncio.sleep(self.retry.default_wait_s)
                continue
            if response.is_success:
                return response
            error = errors.from_response(response)
            wait = error.retry_after if error.retry_after is not None else self.retry.default_wait_s
            if (
                response.status_code not in (429, 503)
                or attempt >= self.retry.max_retries
                or wait > self.retry.max_wait_s
            ):
                raise error
            attempt += 1
            if self.on_retry is not None:
                self.on_retry(error, wait)
            await asyncio.sleep(wait)

    async def get_model(self, model: type[M], path: str, **kwargs: Any) -> M:
        return model.model_validate((await self.request("GET", path, **kwargs)).json())

    async def send_model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate((await self.request(method, path, **kwargs)).json())


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if not isinstance(value, int | float | str) else value
