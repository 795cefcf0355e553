"""AsyncClient: the whole SDK; the blocking Client (sync.py) runs this one on a thread of its own."""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from coderunhub._analyses import AsyncAnalyses
from coderunhub._collab import AsyncCollab
from coderunhub._http import RetryHook, RetryPolicy, Transport
from coderunhub._requests import (
    Files,
    LimitsArg,
    TestCases,
    execution_id,
    execution_path,
    execution_request,
    idempotency,
    until_finished,
)
from coderunhub._resources import AsyncApiKeys, AsyncAuth, AsyncBatches, AsyncSnippets, AsyncWebhooks
from coderunhub._sockets import AsyncInteractiveSession, Encoding, interactive_session, stream_events
from coderunhub.events import Event
from coderunhub.models import (
    ConfigOut,
    ExecutionCreate,
    ExecutionOut,
    ExecutionPage,
    LanguageOut,
    LimitsOut,
    StreamTicketCreate,
    StreamTicketOut,
    SubmissionOut,
)


class AsyncClient:
    """CodeRunHub's API. ``base_url`` defaults to ``$CRH_URL`` (else http://127.0.0.1:8000) and
    ``api_key`` to ``$CRH_API_KEY``; with neither ``api_key`` nor ``access_token`` calls are anonymous.

    ``auth_url`` is where the auth service answers ``/auth/v1/...`` (sign-in, API keys); by default
    the same origin, as nginx serves it in production and ``make run``'s gateway proxies it."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        auth_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        max_retry_wait_s: float = 60.0,
        on_retry: RetryHook | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if api_key is None and access_token is None:
            api_key = os.environ.get("CRH_API_KEY") or None
        self._transport = Transport(
            base_url,
            api_key=api_key,
            access_token=access_token,
            auth_url=auth_url,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries, max_wait_s=max_retry_wait_s),
            on_retry=on_retry,
            headers=headers,
            http=http_client,
        )
        self.snippets = AsyncSnippets(self._transport)
        self.batches = AsyncBatches(self._transport)
        self.api_keys = AsyncApiKeys(self._transport)
        self.auth = AsyncAuth(self._transport)
        self.webhooks = AsyncWebhooks(self._transport)
        self.collab = AsyncCollab(self._transport)
        self.analyses = AsyncAnalyses(self._transport)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    # Executions

    async def create_execution(
        self,
        request: ExecutionCreate,
        *,
        wait: bool = False,
        encoding: Encoding = "text",
        idempotency_key: str | None = None,
    ) -> ExecutionOut:
        """POST /v1/executions as it is: with ``wait`` the answer may still be unfinished (202)."""
        response = await self._transport.request(
            "POST",
            "/v1/executions",
            json=request.to_json(),
            params={"wait": wait or None, "encoding": encoding},
            headers=idempotency(idempotency_key),
        )
        return ExecutionOut.model_validate(response.json())

    async def run(
        self,
        language: str,
        source: str | None = None,
        *,
        files: Files | None = None,
        stdin: str | None = None,
        args: Sequence[str] | None = None,
        version: str | None = None,
        entry: str | None = None,
        compile_options: Sequence[str] | None = None,
        limits: LimitsArg | None = None,
        compile_limits: LimitsArg | None = None,
        test_cases: TestCases | None = None,
        compare: str | None = None,
        callback_url: str | None = None,
        output_files: Sequence[str] | None = None,
        encoding: Encoding = "text",
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
    ) -> ExecutionOut:
        """Run code and return the finished execution. The server waits up to its configured time;
        past it, this polls the execution (``timeout_s`` bounds the whole wait: TimeoutError)."""
        request = execution_request(
            language,
            source,
            files=files,
            stdin=stdin,
            args=args,
            version=version,
            entry=entry,
            compile_options=compile_options,
            limits=limits,
            compile_limits=compile_limits,
            test_cases=test_cases,
            compare=compare,
            callback_url=callback_url,
            output_files=output_files,
        )
        return await self.run_request(request, encoding=encoding, idempotency_key=idempotency_key, timeout_s=timeout_s)

    async def run_request(
        self,
        request: ExecutionCreate,
        *,
        encoding: Encoding = "text",
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
    ) -> ExecutionOut:
        """``run`` for a request built beforehand."""
        response = await self._transport.request(
            "POST",
            "/v1/executions",
            json=request.to_json(),
            params={"wait": True, "encoding": encoding},
            headers=idempotency(idempotency_key),
        )
        return await until_finished(self._transport, response, encoding=encoding, timeout_s=timeout_s)

    async def submit(
        self,
        language: str,
        source: str | None = None,
        *,
        files: Files | None = None,
        stdin: str | None = None,
        args: Sequence[str] | None = None,
        version: str | None = None,
        entry: str | None = None,
        compile_options: Sequence[str] | None = None,
        limits: LimitsArg | None = None,
        compile_limits: LimitsArg | None = None,
        test_cases: TestCases | None = None,
        compare: str | None = None,
        callback_url: str | None = None,
        output_files: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> ExecutionOut:
        """Queue code to run and return at once (status ``queued``); follow it with ``stream``,
        ``wait`` or ``get_execution``."""
        request = execution_request(
            language,
            source,
            files=files,
            stdin=stdin,
            args=args,
            version=version,
            entry=entry,
            compile_options=compile_options,
            limits=limits,
            compile_limits=compile_limits,
            test_cases=test_cases,
            compare=compare,
            callback_url=callback_url,
            output_files=output_files,
        )
        return await self.create_execution(request, idempotency_key=idempotency_key)

    async def get_execution(
        self, execution: uuid.UUID | str | ExecutionOut, *, encoding: Encoding = "text"
    ) -> ExecutionOut:
        return await self._transport.get_model(ExecutionOut, execution_path(execution), params={"encoding": encoding})

    async def wait(
        self, execution: uuid.UUID | str | ExecutionOut, *, encoding: Encoding = "text", timeout_s: float | None = None
    ) -> ExecutionOut:
        """Poll an execution until it finished."""
        response = await self._transport.request("GET", execution_path(execution), params={"encoding": encoding})
        return await until_finished(self._transport, response, encoding=encoding, timeout_s=timeout_s)

    async def get_submission(self, execution: uuid.UUID | str | ExecutionOut) -> SubmissionOut:
        """What an execution ran: files, stdin, args, compile options."""
        return await self._transport.get_model(SubmissionOut, f"/v1/executions/{execution_id(execution)}/submission")

    async def get_output_file(self, execution: uuid.UUID | str | ExecutionOut, name: str) -> bytes:
        """The raw bytes of one of the execution's output files (``files[].name``)."""
        path = f"/v1/executions/{execution_id(execution)}/files/{quote(name)}"
        return (await self._transport.request("GET", path)).content

    async def cancel(self, execution: uuid.UUID | str | ExecutionOut) -> ExecutionOut:
        """Stop an execution. Returns it finished when it stopped in time, else as it is now (it
        stops shortly); an execution that had already finished is a ConflictError (409)."""
        response = await self._transport.request("POST", f"/v1/executions/{execution_id(execution)}/cancel")
        return ExecutionOut.model_validate(response.json())

    async def list_executions(
        self,
        *,
        language: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        created_after: datetime.datetime | None = None,
        created_before: datetime.datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        details: bool | None = None,
        encoding: Encoding | None = None,
        scope: str | None = None,
        user_id: uuid.UUID | str | None = None,
    ) -> ExecutionPage:
        """One page of my executions, newest first (``next_cursor`` leads to the next)."""
        params: dict[str, Any] = {
            "language": language,
            "status": status,
            "verdict": verdict,
            "created_after": created_after,
            "created_before": created_before,
            "cursor": cursor,
            "limit": limit,
            "details": details,
            "encoding": encoding,
            "scope": scope,
            "user_id": user_id,
        }
        return await self._transport.get_model(ExecutionPage, "/v1/executions", params=params)

    async def history(
        self,
        *,
        language: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        page_size: int | None = None,
        details: bool = False,
    ) -> AsyncIterator[ExecutionOut]:
        """All my executions, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_executions(
                language=language, status=status, verdict=verdict, cursor=cursor, limit=page_size, details=details
            )
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def stream(
        self, execution: uuid.UUID | str | ExecutionOut, *, encoding: Encoding = "text", reconnects: int = 5
    ) -> AsyncIterator[Event]:
        """Frames of an execution's WebSocket stream, in order, ending with a ResultEvent; a late
        start still gets every frame from the first, and a dropped connection is resumed."""
        return stream_events(self._transport, execution_id(execution), encoding=encoding, reconnects=reconnects)

    def interactive(
        self,
        language: str,
        source: str | None = None,
        *,
        files: Files | None = None,
        args: Sequence[str] | None = None,
        version: str | None = None,
        entry: str | None = None,
        compile_options: Sequence[str] | None = None,
        limits: LimitsArg | None = None,
        compile_limits: LimitsArg | None = None,
        encoding: Encoding = "text",
    ) -> AbstractAsyncContextManager[AsyncInteractiveSession]:
        """``async with client.interactive("python", src) as session``: a program fed by
        ``session.send()`` while it runs; ``async for event in session`` reads its output."""
        request = execution_request(
            language,
            source,
            files=files,
            args=args,
            version=version,
            entry=entry,
            compile_options=compile_options,
            limits=limits,
            compile_limits=compile_limits,
        )
        return interactive_session(self._transport, request, encoding=encoding)

    # Catalogue and account

    async def languages(self) -> list[LanguageOut]:
        response = await self._transport.request("GET", "/v1/languages")
        return [LanguageOut.model_validate(item) for item in response.json()]

    async def limits(self) -> LimitsOut:
        """My rate-limit budgets, executions in flight and the queue's depth."""
        return await self._transport.get_model(LimitsOut, "/v1/limits")

    async def config(self) -> ConfigOut:
        """What may be asked for: limit ranges, sizes, rate limits, per caller class."""
        return await self._transport.get_model(ConfigOut, "/v1/config")

    async def create_stream_ticket(self, execution: uuid.UUID | str | ExecutionOut | None = None) -> StreamTicketOut:
        """A single-use ticket opening one WebSocket as this caller, for a browser (which cannot send
        an Authorization header): ``?ticket=`` on the stream or interactive URL. Bound to
        ``execution`` when given. Mint it in your backend; never hand a browser your API key."""
        body = StreamTicketCreate(execution_id=uuid.UUID(execution_id(execution))) if execution else None
        return await self._transport.send_model(
            StreamTicketOut, "POST", "/v1/stream-tickets", json=body.to_json() if body else None
        )

    def use_credential(self, credential: str | None) -> None:
        """Use this API key or access token from now on (None: anonymous)."""
        self._transport.use_credential(credential)
