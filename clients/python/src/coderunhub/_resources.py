"""Resource namespaces of AsyncClient: snippets, batches, API keys, sign-in, webhooks."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

from coderunhub._http import Transport
from coderunhub._requests import Files, LimitsArg, file_list, idempotency, until_finished
from coderunhub._sockets import Encoding
from coderunhub.auth_models import ApiKey, CreatedApiKey, PhoneStarted, SignedIn, User
from coderunhub.models import (
    BatchCreate,
    BatchOut,
    ExecutionCreate,
    ExecutionOut,
    ExecutionStatus,
    RevisionOut,
    RevisionSummary,
    SnippetCreate,
    SnippetMetrics,
    SnippetOut,
    SnippetPage,
    SnippetRun,
    SnippetUpdate,
    WebhookSecretOut,
)

Visibility: TypeAlias = Literal["private", "unlisted", "public"]
SnippetRef: TypeAlias = uuid.UUID | str | SnippetOut
# Metrics take about a second after a save (an executor runs lizard in a sandbox).
METRICS_POLL_S = 0.25


def _snippet_id(snippet: SnippetRef) -> str:
    return str(snippet.id if isinstance(snippet, SnippetOut) else snippet)


def _set(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


class _Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class AsyncSnippets(_Resource):
    """Saved, versioned programs: share links, forks, runs (``/v1/snippets``)."""

    async def create(
        self,
        title: str,
        language: str,
        files: Files,
        *,
        description: str | None = None,
        visibility: Visibility | None = None,
        idempotency_key: str | None = None,
    ) -> SnippetOut:
        body = SnippetCreate.model_validate(
            _set(title=title, language=language, files=file_list(files), description=description, visibility=visibility)
        )
        return await self._transport.send_model(
            SnippetOut, "POST", "/v1/snippets", json=body.to_json(), headers=idempotency(idempotency_key)
        )

    async def get(self, snippet: SnippetRef) -> SnippetOut:
        return await self._transport.get_model(SnippetOut, f"/v1/snippets/{_snippet_id(snippet)}")

    async def metrics(self, snippet: SnippetRef, *, timeout_s: float = 0.0) -> SnippetMetrics | None:
        """The code metrics of the snippet's current revision (lines, functions, cyclomatic
        complexity), which the server computes a moment after each save: None until then, or
        where they could not be. ``timeout_s`` waits up to that long for them."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = (await self.get(snippet)).metrics
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(METRICS_POLL_S)

    async def update(
        self,
        snippet: SnippetRef,
        *,
        title: str | None = None,
        description: str | None = None,
        language: str | None = None,
        files: Files | None = None,
        visibility: Visibility | None = None,
        if_revision: int | None = None,
    ) -> SnippetOut:
        """Change the given fields (a content change is a new revision). ``if_revision`` refuses the
        update with a ConflictError when the snippet moved past that revision meanwhile."""
        body = SnippetUpdate.model_validate(
            _set(
                title=title,
                description=description,
                language=language,
                files=file_list(files) if files is not None else None,
                visibility=visibility,
            )
        )
        headers = {"If-Match": f'"{if_revision}"'} if if_revision is not None else {}
        return await self._transport.send_model(
            SnippetOut, "PATCH", f"/v1/snippets/{_snippet_id(snippet)}", json=body.to_json(), headers=headers
        )

    async def delete(self, snippet: SnippetRef) -> None:
        await self._transport.request("DELETE", f"/v1/snippets/{_snippet_id(snippet)}")

    async def share(self, snippet: SnippetRef) -> str:
        """The snippet's share link (an absolute URL), making a private snippet unlisted first."""
        current = snippet if isinstance(snippet, SnippetOut) else await self.get(snippet)
        if current.visibility == "private":
            current = await self.update(current, visibility="unlisted")
        if current.links.share is None:
            raise ValueError("only the owner sees a snippet's share link")
        # Links are absolute on newer gateways, paths on older ones.
        link = current.links.share
        return link if link.startswith(("http://", "https://")) else self._transport.base_url + link

    async def get_shared(self, token_or_link: str) -> SnippetOut:
        """A snippet through its share link (the token, or the link ``share`` returned)."""
        token = token_or_link.rstrip("/").rsplit("/", 1)[-1]
        return await self._transport.get_model(SnippetOut, f"/v1/snippets/shared/{token}")

    async def fork_shared(self, token_or_link: str) -> SnippetOut:
        token = token_or_link.rstrip("/").rsplit("/", 1)[-1]
        return await self._transport.send_model(SnippetOut, "POST", f"/v1/snippets/shared/{token}/fork")

    async def fork(self, snippet: SnippetRef, *, revision: int | None = None) -> SnippetOut:
        """Copy a snippet I can read into a private one of mine."""
        return await self._transport.send_model(
            SnippetOut, "POST", f"/v1/snippets/{_snippet_id(snippet)}/fork", params=_set(revision=revision)
        )

    async def revisions(self, snippet: SnippetRef) -> list[RevisionSummary]:
        response = await self._transport.request("GET", f"/v1/snippets/{_snippet_id(snippet)}/revisions")
        return [RevisionSummary.model_validate(item) for item in response.json()]

    async def revision(self, snippet: SnippetRef, number: int) -> RevisionOut:
        return await self._transport.get_model(RevisionOut, f"/v1/snippets/{_snippet_id(snippet)}/revisions/{number}")

    async def run(
        self,
        snippet: SnippetRef,
        *,
        stdin: str | None = None,
        args: Sequence[str] | None = None,
        version: str | None = None,
        limits: LimitsArg | None = None,
        compile_limits: LimitsArg | None = None,
        revision: int | None = None,
        wait: bool = True,
        encoding: Encoding = "text",
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
    ) -> ExecutionOut:
        """Run a snippet (its current revision, or ``revision``); finished unless ``wait=False``."""
        body = SnippetRun.model_validate(
            _set(
                stdin=stdin,
                args=list(args) if args is not None else None,
                version=version,
                limits=limits,
                compile_limits=compile_limits,
            )
        )
        response = await self._transport.request(
            "POST",
            f"/v1/snippets/{_snippet_id(snippet)}/run",
            json=body.to_json(),
            params={"revision": revision, "wait": wait or None, "encoding": encoding},
            headers=idempotency(idempotency_key),
        )
        if not wait:
            return ExecutionOut.model_validate(response.json())
        return await until_finished(self._transport, response, encoding=encoding, timeout_s=timeout_s)

    async def list(
        self,
        *,
        q: str | None = None,
        language: str | None = None,
        visibility: Visibility | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> SnippetPage:
        """One page of my snippets, newest first."""
        params = _set(q=q, language=language, visibility=visibility, cursor=cursor, limit=limit)
        return await self._transport.get_model(SnippetPage, "/v1/snippets", params=params)

    async def list_public(
        self, *, q: str | None = None, language: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> SnippetPage:
        params = _set(q=q, language=language, cursor=cursor, limit=limit)
        return await self._transport.get_model(SnippetPage, "/v1/snippets/public", params=params)


class AsyncBatches(_Resource):
    """Up to the server's batch size of executions submitted at once (``/v1/batches``)."""

    async def create(
        self,
        executions: Sequence[ExecutionCreate],
        *,
        wait: bool = False,
        encoding: Encoding = "text",
        idempotency_key: str | None = None,
    ) -> BatchOut:
        body = BatchCreate(executions=list(executions))
        return await self._transport.send_model(
            BatchOut,
            "POST",
            "/v1/batches",
            json=body.to_json(),
            params={"wait": wait or None, "encoding": encoding},
            headers=idempotency(idempotency_key),
        )

    async def get(self, batch: uuid.UUID | str | BatchOut, *, encoding: Encoding = "text") -> BatchOut:
        batch_id = batch.id if isinstance(batch, BatchOut) else batch
        return await self._transport.get_model(BatchOut, f"/v1/batches/{batch_id}", params={"encoding": encoding})

    async def run(
        self, executions: Sequence[ExecutionCreate], *, encoding: Encoding = "text", timeout_s: float | None = None
    ) -> BatchOut:
        """Submit and wait until every execution finished (polling past the server's wait)."""
        batch = await self.create(executions, wait=True, encoding=encoding)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while batch.status != ExecutionStatus.finished:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch.id} did not finish within {timeout_s} s")
            await asyncio.sleep(1.0)
            batch = await self.get(batch, encoding=encoding)
        return batch


class AsyncApiKeys(_Resource):
    """Scoped API keys (the auth service's ``/auth/v1/api-keys``; needs a signed-in user's access
    token, not a key)."""

    async def create(self, name: str, scopes: Sequence[str], *, expires_in_days: int | None = None) -> CreatedApiKey:
        body = _set(name=name, scopes=list(scopes), expires_in_days=expires_in_days)
        return await self._transport.send_model(
            CreatedApiKey, "POST", "/auth/v1/api-keys", json=body, auth_service=True
        )

    async def list(self) -> list[ApiKey]:
        response = await self._transport.request("GET", "/auth/v1/api-keys", auth_service=True)
        return [ApiKey.model_validate(item) for item in response.json()]

    async def revoke(self, key: uuid.UUID | str | ApiKey) -> None:
        key_id = key.id if isinstance(key, ApiKey) else key
        await self._transport.request("DELETE", f"/auth/v1/api-keys/{key_id}", auth_service=True)


class AsyncAuth(_Resource):
    """Phone sign-in with a one-time code (the auth service's ``/auth/v1/phone``)."""

    async def phone_start(self, phone: str) -> PhoneStarted:
        """Send a code to ``phone``; pass the normalised ``phone`` it returns to ``phone_verify``."""
        return await self._transport.send_model(
            PhoneStarted, "POST", "/auth/v1/phone/start", json={"phone": phone}, auth_service=True
        )

    async def phone_verify(self, phone: str, code: str, *, use: bool = True) -> SignedIn:
        """Sign in with the code (the first sign-in creates the account). With ``use``, this client
        uses the new access token from then on."""
        signed_in = await self._transport.send_model(
            SignedIn, "POST", "/auth/v1/phone/verify", json={"phone": phone, "code": code}, auth_service=True
        )
        if use and signed_in.access_token:
            self._transport.use_credential(signed_in.access_token)
        return signed_in

    async def me(self) -> User:
        return await self._transport.get_model(User, "/auth/v1/me", auth_service=True)


class AsyncWebhooks(_Resource):
    """The secret signing webhook deliveries of my executions."""

    async def secret(self) -> WebhookSecretOut:
        return await self._transport.get_model(WebhookSecretOut, "/v1/webhooks/secret")

    async def rotate_secret(self) -> WebhookSecretOut:
        return await self._transport.send_model(WebhookSecretOut, "POST", "/v1/webhooks/secret/rotate")
