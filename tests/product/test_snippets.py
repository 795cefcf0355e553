"""Snippets: saved, versioned, shareable programs. Ownership, share links, public listing and
search, revisions, forks, cursor pagination, and runs on the real executor."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import Execution, Snippet, SnippetRevision
from tests.auth_support import AuthService, bearer
from tests.product.conftest import Account, MakeAccount

GREETER = [
    {"name": "main.py", "content": "import sys\nfrom greet import hello\nprint(hello(input()), *sys.argv[1:])\n"},
    {"name": "greet.py", "content": "def hello(name):\n    return f'Hello, {name}!'\n"},
]


def snippet_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "Greeter", "description": "Greets", "language": "python", "files": GREETER, **overrides}


async def create(gw: httpx.AsyncClient, account: Account, **overrides: Any) -> dict[str, Any]:
    response = await gw.post("/v1/snippets", headers=account.headers, json=snippet_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/snippets/{body['id']}"
    return body


def share_path(snippet: dict[str, Any]) -> str:
    path: str = snippet["links"]["share"]
    assert path.startswith("/v1/snippets/shared/")
    return path


async def test_create_read_update_delete(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner = await make_account()
    created = await create(gw, owner, visibility="private")
    assert created["owner_id"] == owner.id
    assert created["revision"] == 1
    assert created["files"] == GREETER
    assert created["forked_from"] is None

    read = await gw.get(f"/v1/snippets/{created['id']}", headers=owner.headers)
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json()["files"] == GREETER

    updated = await gw.patch(
        f"/v1/snippets/{created['id']}", headers=owner.headers, json={"title": "Greeter 2", "description": ""}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"] == "Greeter 2"
    assert updated.json()["description"] == ""
    assert updated.json()["revision"] == 2
    assert updated.json()["files"] == GREETER

    deleted = await gw.delete(f"/v1/snippets/{created['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    gone = await gw.get(f"/v1/snippets/{created['id']}", headers=owner.headers)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


async def test_bad_snippets_are_clear_4xx(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner = await make_account()
    cases: list[tuple[dict[str, Any], int, list[Any]]] = [
        (snippet_body(language="cobol-2099"), 422, ["body", "language"]),
        (snippet_body(files=[{"name": "../escape.py", "content": ""}]), 422, ["body", "files", 0, "name"]),
        # A name a compiler or interpreter would read as an option.
        (
            snippet_body(files=[{"name": "a.py", "content": ""}, {"name": "-v", "content": ""}]),
            422,
            ["body", "files", 1, "name"],
        ),
        (snippet_body(files=[{"name": "a.py", "content": ""}, {"name": "a.py", "content": ""}]), 422, []),
        (snippet_body(files=[{"name": "a.py", "content": "nul\u0000"}]), 422, ["body", "files", 0, "content"]),
        (snippet_body(title="   "), 422, []),
        (snippet_body(files=[]), 422, []),
        (snippet_body(visibility="secret"), 422, []),
        (snippet_body(files=[{"name": "a.py", "content": "x" * (600 << 10)}]), 413, []),
    ]
    for body, status, loc in cases:
        response = await gw.post("/v1/snippets", headers=owner.headers, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if loc:
            assert loc in [error["loc"] for error in response.json()["errors"]]
    anonymous = await gw.post("/v1/snippets", json=snippet_body())
    assert anonymous.status_code == 401
    listed = (await gw.get("/v1/snippets", headers=owner.headers)).json()
    assert listed["items"] == []


async def test_another_users_private_snippet_is_a_404_everywhere(
    gw: httpx.AsyncClient, make_account: MakeAccount, admin: Account
) -> None:
    owner, stranger = await make_account(), await make_account()
    snippet = await create(gw, owner, visibility="private")
    base = f"/v1/snippets/{snippet['id']}"
    attempts = [
        ("GET", base, None),
        ("PATCH", base, {"title": "mine now"}),
        ("DELETE", base, None),
        ("GET", f"{base}/revisions", None),
        ("GET", f"{base}/revisions/1", None),
        ("POST", f"{base}/fork", None),
        ("POST", f"{base}/run", {"stdin": "x"}),
    ]
    for method, path, body in attempts:
        response = await gw.request(method, path, headers=stranger.headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["type"].endswith("/not-found")
        anonymous = await gw.request(method, path, json=body)
        assert anonymous.status_code in (401, 404), (method, path, anonymous.text)

    # Untouched, and still the owner's; admins may read it (but not change it).
    mine = await gw.get(base, headers=owner.headers)
    assert mine.json()["title"] == "Greeter"
    assert mine.json()["revision"] == 1
    assert (await gw.get(base, headers=admin.headers)).status_code == 200
    assert (await gw.get(f"{base}/revisions/1", headers=admin.headers)).status_code == 200
    refused = await gw.patch(base, headers=admin.headers, json={"title": "admin's"})
    assert refused.status_code == 403
    # Someone else's public snippet is readable but not theirs to change.
    public = await create(gw, owner, visibility="public")
    assert (await gw.get(f"/v1/snippets/{public['id']}", headers=stranger.headers)).status_code == 200
    assert (await gw.get(f"/v1/snippets/{public['id']}")).status_code == 200
    assert (await gw.delete(f"/v1/snippets/{public['id']}", headers=stranger.headers)).status_code == 403
    assert (await gw.get(f"/v1/snippets/{public['id']}", headers=owner.headers)).status_code == 200
    # Not listed among the stranger's own.
    assert (await gw.get("/v1/snippets", headers=stranger.headers)).json()["items"] == []


async def test_unlisted_snippets_are_reachable_only_through_their_link(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner, friend = await make_account(), await make_account()
    marker = uuid.uuid4().hex
    snippet = await create(gw, owner, title=f"unlisted {marker}", visibility="unlisted")
    link = share_path(snippet)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22  # 16 random bytes

    for headers in (friend.headers, {}):
        shared = await gw.get(link, headers=headers)
        assert shared.status_code == 200, shared.text
        assert shared.json()["id"] == snippet["id"]
        assert shared.json()["files"] == GREETER
        # Only the owner is shown the link.
        assert shared.json()["links"]["share"] is None
        # The id URL does not reveal it.
        assert (await gw.get(f"/v1/snippets/{snippet['id']}", headers=headers)).status_code == 404
    assert (await gw.get(f"/v1/snippets/shared/{token[:-1]}x")).status_code == 404
    public = (await gw.get("/v1/snippets/public", params={"q": marker})).json()
    assert public["items"] == []

    # A fork through the link belongs to the friend.
    forked = await gw.post(f"{link}/fork", headers=friend.headers)
    assert forked.status_code == 201, forked.text
    assert forked.json()["owner_id"] == friend.id
    assert forked.json()["forked_from"] == {"id": snippet["id"], "revision": 1}

    # Made private, the link stops working.
    hidden = await gw.patch(f"/v1/snippets/{snippet['id']}", headers=owner.headers, json={"visibility": "private"})
    assert hidden.status_code == 200
    assert hidden.json()["revision"] == 1  # a visibility change alone is not a revision
    assert (await gw.get(link, headers=friend.headers)).status_code == 404
    assert (await gw.get(link, headers=owner.headers)).status_code == 404


async def test_public_listing_and_search(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    alice, bob = await make_account(), await make_account()
    marker = uuid.uuid4().hex[:12]
    await create(gw, alice, title=f"Quick SORT {marker}", visibility="public")
    await create(gw, bob, title=f"merge sort {marker}", visibility="public")
    await create(
        gw,
        bob,
        title=f"bubble sort in C {marker}",
        visibility="public",
        language="c",
        files=[{"name": "main.c", "content": "int main(void){return 0;}\n"}],
    )
    await create(gw, alice, title=f"secret sort {marker}", visibility="private")
    await create(gw, alice, title=f"hidden sort {marker}", visibility="unlisted")
    # LIKE wildcards in the query are literal.
    await create(gw, alice, title=f"100% sort {marker}", visibility="public")

    everyone = (await gw.get("/v1/snippets/public", params={"q": marker})).json()
    titles = [item["title"] for item in everyone["items"]]
    assert titles == [
        f"100% sort {marker}",
        f"bubble sort in C {marker}",
        f"merge sort {marker}",
        f"Quick SORT {marker}",
    ]
    assert everyone["next_cursor"] is None
    assert all("files" not in item for item in everyone["items"])

    insensitive = (await gw.get("/v1/snippets/public", params={"q": f"SORT IN c {marker.upper()}"})).json()
    assert [item["title"] for item in insensitive["items"]] == [f"bubble sort in C {marker}"]
    quick = (await gw.get("/v1/snippets/public", params={"q": f"quick sort {marker}"})).json()
    assert [item["title"] for item in quick["items"]] == [f"Quick SORT {marker}"]
    percent = (await gw.get("/v1/snippets/public", params={"q": f"% sort {marker}"})).json()
    assert [item["title"] for item in percent["items"]] == [f"100% sort {marker}"]
    in_c = (await gw.get("/v1/snippets/public", params={"q": marker, "language": "c"})).json()
    assert [item["title"] for item in in_c["items"]] == [f"bubble sort in C {marker}"]

    mine = (await gw.get("/v1/snippets", headers=alice.headers, params={"q": marker})).json()
    assert {item["title"] for item in mine["items"]} == {
        f"Quick SORT {marker}",
        f"secret sort {marker}",
        f"hidden sort {marker}",
        f"100% sort {marker}",
    }
    private_only = (
        await gw.get("/v1/snippets", headers=alice.headers, params={"q": marker, "visibility": "private"})
    ).json()
    assert [item["title"] for item in private_only["items"]] == [f"secret sort {marker}"]
    assert (await gw.get("/v1/snippets", params={"q": marker})).status_code == 401
    bad = await gw.get("/v1/snippets/public", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_every_save_is_a_readable_revision(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner = await make_account()
    snippet = await create(gw, owner)
    base = f"/v1/snippets/{snippet['id']}"
    second_files = [{"name": "main.py", "content": "print('two')\n"}]
    second = await gw.patch(base, headers=owner.headers, json={"files": second_files})
    assert second.json()["revision"] == 2
    assert second.headers["etag"] == '"2"'
    third = await gw.patch(
        base, headers={**owner.headers, "If-Match": '"2"'}, json={"title": "Three", "language": "python"}
    )
    assert third.status_code == 200, third.text
    assert third.json()["revision"] == 3

    # Lost updates are refused: by If-Match or by expected_revision.
    stale = await gw.patch(base, headers={**owner.headers, "If-Match": '"2"'}, json={"title": "lost"})
    assert stale.status_code == 409
    assert stale.json()["type"].endswith("/revision-conflict")
    stale_body = await gw.patch(base, headers=owner.headers, json={"title": "lost", "expected_revision": 1})
    assert stale_body.status_code == 409
    assert (await gw.patch(base, headers=owner.headers, json={})).status_code == 422

    listed = (await gw.get(f"{base}/revisions", headers=owner.headers)).json()
    assert [(r["number"], r["title"]) for r in listed] == [(1, "Greeter"), (2, "Greeter"), (3, "Three")]
    first = (await gw.get(f"{base}/revisions/1", headers=owner.headers)).json()
    assert first["files"] == GREETER
    assert first["title"] == "Greeter"
    assert (await gw.get(f"{base}/revisions/2", headers=owner.headers)).json()["files"] == second_files
    assert (await gw.get(f"{base}/revisions/4", headers=owner.headers)).status_code == 404
    assert (await gw.get(f"{base}/revisions/0", headers=owner.headers)).status_code == 422
    current = (await gw.get(base, headers=owner.headers)).json()
    assert (current["title"], current["files"], current["revision"]) == ("Three", second_files, 3)


async def test_concurrent_saves_each_get_their_own_revision(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    snippet = await create(gw, owner)
    base = f"/v1/snippets/{snippet['id']}"
    results = await asyncio.gather(*(gw.patch(base, headers=owner.headers, json={"title": f"t{i}"}) for i in range(6)))
    assert sorted(r.json()["revision"] for r in results) == [2, 3, 4, 5, 6, 7]
    async with sessions() as session:
        numbers = (
            (
                await session.execute(
                    select(SnippetRevision.number).where(SnippetRevision.snippet_id == uuid.UUID(snippet["id"]))
                )
            )
            .scalars()
            .all()
        )
    assert sorted(numbers) == list(range(1, 8))


async def test_forks_are_independent_copies_that_remember_their_origin(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    author, forker = await make_account(), await make_account()
    origin = await create(gw, author, visibility="public")
    origin_path = f"/v1/snippets/{origin['id']}"
    await gw.patch(origin_path, headers=author.headers, json={"title": "Greeter v2"})

    fork = await gw.post(f"{origin_path}/fork", headers=forker.headers)
    assert fork.status_code == 201, fork.text
    forked = fork.json()
    assert forked["id"] != origin["id"]
    assert forked["owner_id"] == forker.id
    assert forked["visibility"] == "private"
    assert forked["revision"] == 1
    assert forked["forked_from"] == {"id": origin["id"], "revision": 2}
    assert (forked["title"], forked["files"]) == ("Greeter v2", GREETER)

    old = await gw.post(f"{origin_path}/fork", headers=forker.headers, params={"revision": 1})
    assert old.json()["title"] == "Greeter"
    assert old.json()["forked_from"] == {"id": origin["id"], "revision": 1}

    # Independent: changing the fork leaves the origin alone, and the other way round.
    changed = [{"name": "main.py", "content": "print('forked')\n"}]
    await gw.patch(f"/v1/snippets/{forked['id']}", headers=forker.headers, json={"files": changed})
    assert (await gw.get(origin_path, headers=author.headers)).json()["files"] == GREETER
    await gw.patch(origin_path, headers=author.headers, json={"title": "Greeter v3"})
    assert (await gw.get(f"/v1/snippets/{forked['id']}", headers=forker.headers)).json()["title"] == "Greeter v2"
    # The fork is private: the author does not see it.
    assert (await gw.get(f"/v1/snippets/{forked['id']}", headers=author.headers)).status_code == 404

    # Deleting the origin keeps the fork; its link to the origin is cleared.
    assert (await gw.delete(origin_path, headers=author.headers)).status_code == 204
    after = (await gw.get(f"/v1/snippets/{forked['id']}", headers=forker.headers)).json()
    assert after["forked_from"] is None
    assert after["files"] == changed
    async with sessions() as session:
        left = await session.execute(
            select(func.count()).select_from(Snippet).where(Snippet.id == uuid.UUID(origin["id"]))
        )
        assert left.scalar_one() == 0


async def test_running_a_snippet_runs_its_files(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    snippet = await create(gw, owner)
    base = f"/v1/snippets/{snippet['id']}"
    ran = await gw.post(
        f"{base}/run",
        headers=owner.headers,
        params={"wait": "true"},
        json={"stdin": "Ada\n", "args": ["--loud", "two words"]},
    )
    assert ran.status_code == 200, ran.text
    result = ran.json()
    assert result["verdict"] == "ok"
    assert result["run"]["stdout"] == "Hello, Ada! --loud two words\n"
    assert ran.headers["location"] == f"/v1/executions/{result['id']}"

    # An older revision runs as it was.
    await gw.patch(base, headers=owner.headers, json={"files": [{"name": "main.py", "content": "print('new')\n"}]})
    newest = await gw.post(f"{base}/run", headers=owner.headers, params={"wait": "true"})
    assert newest.json()["run"]["stdout"] == "new\n"
    older = await gw.post(
        f"{base}/run", headers=owner.headers, params={"wait": "true", "revision": 1}, json={"stdin": "Bob"}
    )
    assert older.json()["run"]["stdout"] == "Hello, Bob!\n"
    assert (await gw.post(f"{base}/run", headers=owner.headers, params={"revision": 9})).status_code == 404

    # Without wait: 202 and the execution, readable by its owner.
    queued = await gw.post(f"{base}/run", headers=owner.headers, json={"stdin": "x", "limits": {"memory_mb": 64}})
    assert queued.status_code == 202
    assert queued.json()["limits"]["memory_mb"] == 64
    assert (await gw.get(f"/v1/executions/{queued.json()['id']}", headers=owner.headers)).status_code == 200
    bad_limits = await gw.post(f"{base}/run", headers=owner.headers, json={"limits": {"memory_mb": 1}})
    assert bad_limits.status_code == 422

    async with sessions() as session:
        rows = (
            await session.execute(
                select(Execution.snippet_id, Execution.user_id).where(Execution.id == uuid.UUID(result["id"]))
            )
        ).one()
    assert rows == (uuid.UUID(snippet["id"]), uuid.UUID(owner.id))


async def test_cursor_pagination_is_stable_while_snippets_are_added(
    gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account()
    originals = [(await create(gw, owner, title=f"page {i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await gw.get("/v1/snippets", headers=owner.headers, params=params)).json()
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        pages += 1
        # New snippets arrive (and an old one is edited) between pages.
        await create(gw, owner, title=f"newcomer {pages}")
        await gw.patch(f"/v1/snippets/{originals[0]}", headers=owner.headers, json={"title": f"edited {pages}"})
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)), "a snippet appeared twice"
    assert seen == list(reversed(originals)), "newest first, none skipped"
    # Page size is bounded by the server.
    capped = (await gw.get("/v1/snippets", headers=owner.headers, params={"limit": 10_000})).json()
    assert len(capped["items"]) == 10


async def test_api_keys_need_snippet_scopes(
    auth: AuthService, gw: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    owner = await make_account()

    async def key(*scopes: str) -> dict[str, str]:
        created = await auth.client.post(
            "/auth/v1/api-keys", headers=owner.headers, json={"name": "snippets", "scopes": list(scopes)}
        )
        assert created.status_code == 201, created.text
        return bearer(created.json()["key"])

    reader, writer, runner = (
        await key("snippets:read"),
        await key("snippets:write"),
        await key("snippets:read", "executions:write"),
    )
    snippet = await create(gw, owner)
    base = f"/v1/snippets/{snippet['id']}"
    assert (await gw.get(base, headers=reader)).status_code == 200
    assert (await gw.get("/v1/snippets", headers=reader)).json()["items"][0]["id"] == snippet["id"]
    assert (await gw.post("/v1/snippets", headers=reader, json=snippet_body())).status_code == 403
    assert (await gw.get(base, headers=writer)).status_code == 403
    assert (await gw.patch(base, headers=writer, json={"title": "by key"})).status_code == 200
    assert (await gw.post(f"{base}/run", headers=reader)).status_code == 403
    ran = await gw.post(f"{base}/run", headers=runner, params={"wait": "true"}, json={"stdin": "key"})
    assert ran.status_code == 200, ran.text
    assert ran.json()["run"]["stdout"] == "Hello, key!\n"


async def test_search_and_listing_queries_can_use_their_indexes(sessions: async_sessionmaker[AsyncSession]) -> None:
    """With sequential scans priced out, the planner must find an index for each list query."""
    queries = {
        "ix_snippets_title_trgm": "SELECT id FROM snippets WHERE title ILIKE '%quick sort%'",
        "ix_snippets_public_created": "SELECT id FROM snippets WHERE visibility = 'public' "
        "ORDER BY created_at DESC, id DESC LIMIT 21",
        "ix_snippets_owner_created": "SELECT id FROM snippets WHERE owner_id = gen_random_uuid() "
        "ORDER BY created_at DESC, id DESC LIMIT 21",
    }
    async with sessions() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        for index, query in queries.items():
            plan = "\n".join((await session.execute(text(f"EXPLAIN {query}"))).scalars().all())
            assert index in plan, plan
