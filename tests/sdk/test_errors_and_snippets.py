"""Problem+json answers as typed exceptions, retries on 429 honouring Retry-After, and snippets
(create, update with If-Match, list, share, fork, run, revisions, delete) through the SDK."""

from __future__ import annotations

import time
import uuid

import pytest
from coderunhub import (
    AsyncClient,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProblemError,
    RateLimitError,
    ValidationError,
)

from shared.settings import RateLimitPolicy
from tests.auth_support import AuthService
from tests.product.conftest import MakeAccount, gateway
from tests.sdk.conftest import collect, create_key


async def test_validation_and_not_found_are_typed(client: AsyncClient) -> None:
    with pytest.raises(ValidationError) as invalid:
        await client.run("no-such-language", "print(1)")
    assert invalid.value.status == 422
    assert invalid.value.slug == "validation-error"
    assert invalid.value.detail
    assert any("language" in error.loc for error in invalid.value.errors)

    unknown = uuid.uuid4()
    with pytest.raises(NotFoundError) as missing:
        await client.get_execution(unknown)
    assert missing.value.status == 404
    assert missing.value.title == "Not found"
    assert isinstance(missing.value, ProblemError)

    # The WebSocket's 4404 close is the same error, and so is a refused interactive start.
    with pytest.raises(NotFoundError):
        await collect(client.stream(unknown))
    with pytest.raises(ValidationError) as refused_start:
        async with client.interactive("no-such-language", "x"):
            pass
    assert refused_start.value.status == 422


async def test_credentials_and_scopes_are_typed(
    url: str, auth: AuthService, make_account: MakeAccount, anonymous: AsyncClient
) -> None:
    reader = await create_key(auth, await make_account(), ["executions:read"])
    async with AsyncClient(url, api_key=reader) as sdk:
        with pytest.raises(PermissionDeniedError) as scope:
            await sdk.run("python", "print(1)")
    assert scope.value.status == 403

    async with AsyncClient(url, api_key="crh_abcdefghij_" + "A" * 43) as forged:
        with pytest.raises(AuthenticationError) as forged_key:
            await forged.get_execution(uuid.uuid4())
    assert forged_key.value.status == 401

    with pytest.raises(AuthenticationError):
        await anonymous.snippets.create("nope", "python", {"main.py": "print(1)"})


@pytest.mark.usefixtures("fresh_limits")
async def test_429_is_retried_after_retry_after(auth: AuthService) -> None:
    tight = RateLimitPolicy(executions="1000/minute", reads="2/second", writes="1000/minute", max_in_flight=1000)
    async with gateway(auth, anonymous_rate_limits=tight) as limited:
        url = str(limited.base_url)
        async with AsyncClient(url, api_key=None, max_retries=0) as impatient:
            await impatient.languages()
            await impatient.languages()
            with pytest.raises(RateLimitError) as refused:
                await impatient.languages()
        assert refused.value.status == 429
        assert refused.value.retry_after is not None
        assert 0 < refused.value.retry_after <= 2

        retries: list[float] = []
        async with AsyncClient(url, api_key=None, on_retry=lambda _error, wait: retries.append(wait)) as patient:
            started = time.monotonic()
            for _ in range(4):
                assert await patient.languages()
            elapsed = time.monotonic() - started
        # The budget allowed two reads a second: the later ones waited as Retry-After said.
        assert retries
        assert elapsed >= min(retries)

        # A Retry-After longer than the client accepts is not waited for.
        async with AsyncClient(url, api_key=None, max_retry_wait_s=0.01) as hurried:

            async def three_reads() -> None:
                for _ in range(3):
                    await hurried.languages()

            with pytest.raises(RateLimitError):
                await three_reads()


async def test_snippets_lifecycle(client: AsyncClient, anonymous: AsyncClient) -> None:
    snippet = await client.snippets.create("Greeter", "python", {"main.py": "print('hi', input())"})
    assert (snippet.revision, snippet.visibility) == (1, "private")
    assert (await client.snippets.get(snippet.id)).files[0].content == "print('hi', input())"

    updated = await client.snippets.update(snippet, title="Greeter 2", if_revision=1)
    assert updated.revision == 2
    with pytest.raises(ConflictError) as stale:
        await client.snippets.update(snippet, title="lost update", if_revision=1)
    assert stale.value.status == 409
    assert [r.number for r in await client.snippets.revisions(snippet)] == [1, 2]
    assert (await client.snippets.revision(snippet, 1)).title == "Greeter"
    assert snippet.id in {item.id for item in (await client.snippets.list(q="Greeter")).items}

    # Private: others get 404, until shared through its link.
    with pytest.raises(NotFoundError):
        await anonymous.snippets.get(snippet.id)
    link = await client.snippets.share(snippet.id)
    assert link.startswith(client.base_url + "/v1/snippets/shared/")
    assert (await anonymous.snippets.get_shared(link)).title == "Greeter 2"

    fork = await client.snippets.fork(snippet, revision=1)
    assert fork.forked_from is not None
    assert fork.title == "Greeter"

    result = await client.snippets.run(snippet, stdin="Bob")
    assert result.run is not None
    assert result.run.stdout == "hi Bob\n"

    await client.snippets.delete(snippet)
    with pytest.raises(NotFoundError):
        await client.snippets.get(snippet.id)
