"""A collaborative session's shared run (services/gateway/collab/runs.py), against the real auth
service, gateway, executor, PostgreSQL and Redis: an editor runs the document as it stands (not the
snippet it started from); every participant, viewers included, streams that one execution; only
editors run and cancel; one run at a time; the run is the runner's own execution (history,
budget); every socket of the session is told (the control event the rooms forward)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import redis.asyncio as aioredis
from pycrdt import Doc, Map, Text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect

from services.gateway.collab import documents
from services.gateway.collab.relay import UpdateLog
from shared.redis_keys import collab_control_channel
from tests.auth_support import AuthService
from tests.conftest import REDIS_URL
from tests.product.conftest import Account, MakeAccount, gateway
from tests.product.test_collab_sessions import cookie, invite, join, next_event, slug

WS_S = 60
FILES = [{"name": "main.py", "content": "print('from the snippet')\n"}]


async def session_of(gw: httpx.AsyncClient, owner: Account, files: list[dict[str, str]] = FILES) -> str:
    body = {"title": "Pair", "language": "python", "files": files}
    created = await gw.post("/v1/snippets", headers=owner.headers, json=body)
    assert created.status_code == 201, created.text
    started = await gw.post(f"/v1/snippets/{created.json()['id']}/sessions", headers=owner.headers, json={})
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


async def participant_token(gw: httpx.AsyncClient, owner: Account, sid: str, role: str, guest: Account) -> str:
    joined = await join(gw, sid, guest.headers, invite=(await invite(gw, owner, sid, role))["token"])
    assert joined.status_code == 200, joined.text
    return str(joined.json()["socket_token"])


async def edit(sessions: async_sessionmaker[AsyncSession], sid: str, name: str, content: str) -> None:
    """An editor's change as a room logs it: a Yjs update against the stored document, appended to
    the session's update log (no socket here: tests/product/test_collab_socket.py covers those)."""
    stored = await documents.load(sessions, uuid.UUID(sid)) or await documents.seed(sessions, uuid.UUID(sid))
    assert stored is not None
    base: Doc[Any] = Doc()
    documents.apply(base, stored.snapshot)
    before = base.get_state()
    text = base.get(documents.FILES, type=Map)[name]
    assert isinstance(text, Text)
    with base.transaction():
        del text[0 : len(text)]
        text += content
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await UpdateLog(redis, uuid.UUID(sid), 3600).append(base.get_update(before))
    finally:
        await redis.aclose()


async def stream(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with connect(url, additional_headers=headers) as ws, asyncio.timeout(WS_S):
        async for message in ws:
            frames.append(json.loads(message))
    return frames


def stdout_of(frames: list[dict[str, Any]]) -> str:
    return "".join(f["data"] for f in frames if f["type"] == "stdout" and f.get("phase") == "run")


async def test_everyone_streams_the_run_of_the_document(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, editor, viewer, stranger = await asyncio.gather(*(make_account() for _ in range(4)))
    sid = await session_of(gw, owner)
    editor_token = await participant_token(gw, owner, sid, "editor", editor)
    viewer_token = await participant_token(gw, owner, sid, "viewer", viewer)

    client = aioredis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe(collab_control_channel(sid))
    try:
        # The snippet's seed, then an edit: the run is of the document, not of the snippet.
        seed = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=cookie(editor_token), json={"stdin": "x"})
        assert seed.status_code == 202, seed.text
        first = seed.json()
        frames = await stream(first["stream"], cookie(viewer_token))
        assert stdout_of(frames) == "from the snippet\n"

        await edit(sessions, sid, "main.py", "print('edited', input())\n")
        # Signed in as well: the run is charged to and kept as the editor's (a guest's would be anonymous).
        as_editor = {**editor.headers, **cookie(editor_token)}
        ran = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=as_editor, json={"stdin": "live"})
        assert ran.status_code == 202, ran.text
        run = ran.json()
        assert run["runner_name"]
        assert run["runner_participant_id"]
        assert run["stream"].startswith("ws://")
        assert run["stream"].endswith(f"/runs/{run['execution_id']}/stream")

        # Every socket of the session is told (rooms forward this as a type-100 event).
        events = [event for _ in range(2) if (event := await next_event(pubsub)) is not None]
        assert [e["type"] for e in events] == ["run", "run"]
        assert events[1]["execution_id"] == run["execution_id"]

        # The owner (bearer), the editor and a viewer (their tokens) all see the same output and result.
        seen = await asyncio.gather(
            stream(run["stream"], owner.headers),
            stream(run["stream"], cookie(editor_token)),
            stream(run["stream"], cookie(viewer_token)),
        )
        for frames in seen:
            assert stdout_of(frames) == "edited live\n"
            assert frames[-1]["type"] == "result"
            assert frames[-1]["execution"]["verdict"] == "ok"
        current = await gw.get(f"/v1/collab/sessions/{sid}/runs/current", headers=cookie(viewer_token))
        assert current.status_code == 200
        assert current.json()["execution_id"] == run["execution_id"]
    finally:
        await pubsub.aclose()
        await client.aclose()

    # The run is the runner's execution: in the runner's history, not the owner's.
    mine = await gw.get(f"/v1/executions/{run['execution_id']}", headers=editor.headers)
    assert mine.status_code == 200
    assert mine.json()["verdict"] == "ok"
    assert (await gw.get(f"/v1/executions/{run['execution_id']}", headers=owner.headers)).status_code == 404

    # Viewers neither run nor cancel; strangers do not stream it; another execution is not the session's.
    refused = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=cookie(viewer_token), json={})
    assert (refused.status_code, slug(refused)) == (403, "collab-viewer")
    cancel = await gw.post(f"/v1/collab/sessions/{sid}/runs/{run['execution_id']}/cancel", headers=cookie(viewer_token))
    assert cancel.status_code == 403
    async with connect(run["stream"], additional_headers=stranger.headers) as ws:
        await ws.wait_closed()
    assert ws.close_code in (4403, 4404)
    own = await gw.post("/v1/executions", headers=editor.headers, json={"language": "python", "files": FILES})
    other = run["stream"].replace(run["execution_id"], own.json()["id"])
    async with connect(other, additional_headers=cookie(viewer_token)) as ws:
        await ws.wait_closed()
    assert ws.close_code == 4404


async def test_one_run_at_a_time_and_editors_cancel(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner, editor = await asyncio.gather(make_account(), make_account())
    sleepy = [{"name": "main.py", "content": "import time\nprint('started', flush=True)\ntime.sleep(30)\n"}]
    sid = await session_of(gw, owner, sleepy)
    editor_token = await participant_token(gw, owner, sid, "editor", editor)

    first = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=owner.headers, json={})
    assert first.status_code == 202, first.text
    busy = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=cookie(editor_token), json={})
    assert (busy.status_code, slug(busy)) == (409, "collab-run-in-progress")

    # replace: the first run is cancelled, the editor's runs instead.
    second = await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=cookie(editor_token), json={"replace": True})
    assert second.status_code == 202, second.text
    cancelled = await gw.get(f"/v1/executions/{first.json()['execution_id']}", headers=owner.headers)
    assert cancelled.json()["verdict"] == "cancelled"

    # Another editor (here the owner) cancels the editor's run.
    stopped = await gw.post(
        f"/v1/collab/sessions/{sid}/runs/{second.json()['execution_id']}/cancel", headers=owner.headers
    )
    assert stopped.status_code in (200, 202), stopped.text
    frames = await stream(second.json()["stream"], owner.headers)
    assert frames[-1]["type"] == "result"
    assert frames[-1]["execution"]["verdict"] == "cancelled"
    again = await gw.post(
        f"/v1/collab/sessions/{sid}/runs/{second.json()['execution_id']}/cancel", headers=owner.headers
    )
    assert again.status_code == 409


async def test_editors_type_into_an_interactive_run(gw: httpx.AsyncClient, make_account: MakeAccount) -> None:
    owner, editor, viewer = await asyncio.gather(make_account(), make_account(), make_account())
    echo = [
        {
            "name": "main.py",
            "content": "import sys\nfor line in sys.stdin:\n    print('got', line.strip(), flush=True)\n",
        }
    ]
    sid = await session_of(gw, owner, echo)
    editor_token = await participant_token(gw, owner, sid, "editor", editor)
    viewer_token = await participant_token(gw, owner, sid, "viewer", viewer)

    started = await gw.post(
        f"/v1/collab/sessions/{sid}/runs", headers=owner.headers, json={"interactive": True, "stdin": "first\n"}
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["interactive"] is True
    path = f"/v1/collab/sessions/{sid}/runs/{run['execution_id']}/input"
    watching = asyncio.create_task(stream(run["stream"], cookie(viewer_token)))

    # The runner and another editor type; a viewer cannot.
    typed = await gw.post(path, headers={**editor.headers, **cookie(editor_token)}, json={"data": "second\n"})
    assert typed.status_code == 204, typed.text
    refused = await gw.post(path, headers=cookie(viewer_token), json={"data": "nope\n"})
    assert (refused.status_code, slug(refused)) == (403, "collab-viewer")
    ended = await gw.post(path, headers=owner.headers, json={"data": "third\n", "eof": True})
    assert ended.status_code == 204, ended.text

    frames = await watching
    assert stdout_of(frames) == "got first\ngot second\ngot third\n"
    assert frames[-1]["execution"]["verdict"] == "ok"
    late = await gw.post(path, headers=owner.headers, json={"data": "late\n"})
    assert (late.status_code, slug(late)) == (409, "collab-run-not-interactive")


async def test_an_interactive_runs_input_is_capped_across_editors(auth: AuthService, make_account: MakeAccount) -> None:
    owner = await make_account()
    async with gateway(auth, max_stdin_bytes=4096, interactive_input_frame_cost_bytes=1024) as gw:
        sid = await session_of(gw, owner, [{"name": "main.py", "content": "import time\ntime.sleep(20)\n"}])
        run = (
            await gw.post(f"/v1/collab/sessions/{sid}/runs", headers=owner.headers, json={"interactive": True})
        ).json()
        path = f"/v1/collab/sessions/{sid}/runs/{run['execution_id']}/input"
        # Each frame costs at least 1 KiB: four fit, the fifth is refused.
        answers = [(await gw.post(path, headers=owner.headers, json={"data": "x"})).status_code for _ in range(5)]
        assert answers == [204, 204, 204, 204, 413]
        await gw.post(f"/v1/collab/sessions/{sid}/runs/{run['execution_id']}/cancel", headers=owner.headers)
