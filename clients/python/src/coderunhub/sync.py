"""Client: the blocking twin of AsyncClient, with the same methods.

Rather than a second implementation, each call runs AsyncClient's coroutine on an event loop of
the Client's own (a daemon thread per Client, _portal.py), so both behave alike, retries and
reconnects included, and a Client also works where an event loop is already running (a notebook,
a web framework's sync handler)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Concatenate, Generic, ParamSpec, TypeVar

import httpx

from coderunhub._analyses import AsyncAnalyses
from coderunhub._collab import AsyncCollab
from coderunhub._http import RetryHook
from coderunhub._portal import Portal
from coderunhub._requests import Files, LimitsArg
from coderunhub._resources import AsyncApiKeys, AsyncAuth, AsyncBatches, AsyncSnippets, AsyncWebhooks
from coderunhub._sockets import AsyncInteractiveSession, Encoding
from coderunhub.client import AsyncClient
from coderunhub.events import Event
from coderunhub.models import ExecutionOut

A = TypeVar("A")
T = TypeVar("T")
P = ParamSpec("P")


class _Blocking(Generic[A]):
    def __init__(self, target: A, portal: Portal) -> None:
        self._target = target
        self._portal = portal

    def _iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        """An async iterator, one item per portal call; closed (its socket too) when left early."""
        try:
            while True:
                try:
                    yield self._portal.call(iterator.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                self._portal.call(close)


def blocking(method: Callable[Concatenate[A, P], Awaitable[T]]) -> Callable[Concatenate[_Blocking[A], P], T]:
    """The blocking form of an async method of the wrapped object."""

    def call(self: _Blocking[A], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._portal.call(functools.partial(method, self._target, *args, **kwargs))

    call.__name__ = method.__name__
    call.__qualname__ = method.__qualname__
    call.__doc__ = method.__doc__
    return call


class Snippets(_Blocking[AsyncSnippets]):
    __doc__ = AsyncSnippets.__doc__
    create = blocking(AsyncSnippets.create)
    get = blocking(AsyncSnippets.get)
    metrics = blocking(AsyncSnippets.metrics)
    update = blocking(AsyncSnippets.update)
    delete = blocking(AsyncSnippets.delete)
    share = blocking(AsyncSnippets.share)
    get_shared = blocking(AsyncSnippets.get_shared)
    fork_shared = blocking(AsyncSnippets.fork_shared)
    fork = blocking(AsyncSnippets.fork)
    revisions = blocking(AsyncSnippets.revisions)
    revision = blocking(AsyncSnippets.revision)
    run = blocking(AsyncSnippets.run)
    list = blocking(AsyncSnippets.list)
    list_public = blocking(AsyncSnippets.list_public)


class Batches(_Blocking[AsyncBatches]):
    __doc__ = AsyncBatches.__doc__
    create = blocking(AsyncBatches.create)
    get = blocking(AsyncBatches.get)
    run = blocking(AsyncBatches.run)


class ApiKeys(_Blocking[AsyncApiKeys]):
    __doc__ = AsyncApiKeys.__doc__
    create = blocking(AsyncApiKeys.create)
    revoke = blocking(AsyncApiKeys.revoke)
    list = blocking(AsyncApiKeys.list)


class Auth(_Blocking[AsyncAuth]):
    __doc__ = AsyncAuth.__doc__
    phone_start = blocking(AsyncAuth.phone_start)
    phone_verify = blocking(AsyncAuth.phone_verify)
    me = blocking(AsyncAuth.me)


class Webhooks(_Blocking[AsyncWebhooks]):
    __doc__ = AsyncWebhooks.__doc__
    secret = blocking(AsyncWebhooks.secret)
    rotate_secret = blocking(AsyncWebhooks.rotate_secret)


class Collab(_Blocking[AsyncCollab]):
    __doc__ = AsyncCollab.__doc__
    start = blocking(AsyncCollab.start)
    get = blocking(AsyncCollab.get)
    update = blocking(AsyncCollab.update)
    end = blocking(AsyncCollab.end)
    create_invite = blocking(AsyncCollab.create_invite)
    invites = blocking(AsyncCollab.invites)
    revoke_invite = blocking(AsyncCollab.revoke_invite)
    name_participant = blocking(AsyncCollab.name_participant)
    revoke_participant = blocking(AsyncCollab.revoke_participant)
    join = blocking(AsyncCollab.join)
    rtc = blocking(AsyncCollab.rtc)
    run = blocking(AsyncCollab.run)
    type_input = blocking(AsyncCollab.type_input)
    save = blocking(AsyncCollab.save)
    current_run = blocking(AsyncCollab.current_run)
    cancel_run = blocking(AsyncCollab.cancel_run)


class Analyses(_Blocking[AsyncAnalyses]):
    __doc__ = AsyncAnalyses.__doc__
    create = blocking(AsyncAnalyses.create)
    get = blocking(AsyncAnalyses.get)
    tools = blocking(AsyncAnalyses.tools)


class InteractiveSession(_Blocking[AsyncInteractiveSession]):
    """A running interactive execution: ``send`` its stdin, iterate over its frames."""

    send = blocking(AsyncInteractiveSession.send)
    eof = blocking(AsyncInteractiveSession.eof)
    kill = blocking(AsyncInteractiveSession.kill)
    wait = blocking(AsyncInteractiveSession.wait)

    @property
    def execution(self) -> ExecutionOut:
        return self._target.execution

    @property
    def result(self) -> ExecutionOut | None:
        return self._target.result

    def events(self) -> Iterator[Event]:
        return self._iterate(self._target.events())

    def __iter__(self) -> Iterator[Event]:
        return self.events()


class Client(_Blocking[AsyncClient]):
    """CodeRunHub's API, blocking; the same arguments and methods as AsyncClient. Close it (or use
    ``with``) to stop its thread."""

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
        target = AsyncClient(
            base_url,
            api_key=api_key,
            access_token=access_token,
            auth_url=auth_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait_s=max_retry_wait_s,
            on_retry=on_retry,
            headers=headers,
            http_client=http_client,
        )
        # The thread starts only once the arguments were accepted: a refused Client leaves none behind.
        portal = Portal()
        super().__init__(target, portal)
        self.snippets = Snippets(target.snippets, portal)
        self.batches = Batches(target.batches, portal)
        self.api_keys = ApiKeys(target.api_keys, portal)
        self.auth = Auth(target.auth, portal)
        self.webhooks = Webhooks(target.webhooks, portal)
        self.collab = Collab(target.collab, portal)
        self.analyses = Analyses(target.analyses, portal)

    @property
    def base_url(self) -> str:
        return self._target.base_url

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._portal.call(self._target.aclose)
        finally:
            self._portal.close()

    create_execution = blocking(AsyncClient.create_execution)
    run = blocking(AsyncClient.run)
    run_request = blocking(AsyncClient.run_request)
    submit = blocking(AsyncClient.submit)
    get_execution = blocking(AsyncClient.get_execution)
    wait = blocking(AsyncClient.wait)
    get_submission = blocking(AsyncClient.get_submission)
    get_output_file = blocking(AsyncClient.get_output_file)
    cancel = blocking(AsyncClient.cancel)
    list_executions = blocking(AsyncClient.list_executions)
    languages = blocking(AsyncClient.languages)
    limits = blocking(AsyncClient.limits)
    config = blocking(AsyncClient.config)
    create_stream_ticket = blocking(AsyncClient.create_stream_ticket)

    def use_credential(self, credential: str | None) -> None:
        self._target.use_credential(credential)

    def history(
        self,
        *,
        language: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        page_size: int | None = None,
        details: bool = False,
    ) -> Iterator[ExecutionOut]:
        """All my executions, newest first, page after page."""
        return self._iterate(
            self._target.history(
                language=language, status=status, verdict=verdict, page_size=page_size, details=details
            )
        )

    def stream(
        self, execution: uuid.UUID | str | ExecutionOut, *, encoding: Encoding = "text", reconnects: int = 5
    ) -> Iterator[Event]:
        """Frames of an execution's WebSocket stream, in order, ending with a ResultEvent."""
        return self._iterate(self._target.stream(execution, encoding=encoding, reconnects=reconnects))

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
    ) -> AbstractContextManager[InteractiveSession]:
        """``with client.interactive("python", src) as session``: see AsyncClient.interactive."""
        opened = self._target.interactive(
            language,
            source,
            files=files,
            args=args,
            version=version,
            entry=entry,
            compile_options=compile_options,
            limits=limits,
            compile_limits=compile_limits,
            encoding=encoding,
        )

        @contextmanager
        def session() -> Iterator[InteractiveSession]:
            with self._portal.enter(opened) as session:
                yield InteractiveSession(session, self._portal)

        return session()
