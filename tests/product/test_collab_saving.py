"""Saving a collaborative session's document to its snippet (services/gateway/collab/saving.py):
the owner's save adds a revision only when the files changed; ending a session saves it; a session
left idle is ended and saved by the gateways' sweep. Real gateway, auth, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import CollabSession
from tests.auth_support import AuthService
from tests.product.conftest import MakeAccount, gateway
from tests.product.test_collab_runs import edit, session_of
from tests.product.test_collab_sessions import control, invite, join, next_event, slug


async def files_of(gw: httpx.AsyncClient, headers: dict[str, str], snippet_id: str) -> tuple[int, str]:
    got = await gw.get(f"/v1/snippets/{snippet_id}", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    return body["revision"], body["files"][0]["content"]


async def test_the_owner_saves_a_revision_when_the_files_changed(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner, editor = await asyncio.gather(make_account(), make_account())
    sid = await session_of(gw, owner)
    snippet_id = (await gw.get(f"/v1/collab/sessions/{sid}", headers=owner.headers)).json()["snippet_id"]

    unchanged = await gw.post(f"/v1/collab/sessions/{sid}/save", headers=owner.headers)
    assert unchanged.status_code == 200, unchanged.text
    assert (unchanged.json()["saved"], unchanged.json()["revision"]) == (False, 1)

    await edit(sessions, sid, "main.py", "print('saved together')\n")
    async with control(sid) as events:
        saved = await gw.post(f"/v1/collab/sessions/{sid}/save", headers=owner.headers)
        assert saved.status_code == 200, saved.text
        assert (saved.json()["saved"], saved.json()["revision"]) == (True, 2)
        event = await next_event(events)
    assert event == {"type": "saved", "revision": 2, "snippet_id": snippet_id}
    assert await files_of(gw, owner.headers, snippet_id) == (2, "print('saved together')\n")
    session = (await gw.get(f"/v1/collab/sessions/{sid}", headers=owner.headers)).json()
    assert session["last_saved_revision"] == 2
    # The saved revision gets its code metrics, as any snippet save does.
    async with asyncio.timeout(60):
        while ((await gw.get(f"/v1/snippets/{snippet_id}", headers=owner.headers)).json().get("metrics") or {}).get(
            "revision"
        ) != 2:
            await asyncio.sleep(0.25)
    revisions = await gw.get(f"/v1/snippets/{snippet_id}/revisions", headers=owner.headers)
    assert sorted(r["number"] for r in revisions.json()) == [1, 2]

    # Saving again changes nothing; editors do not save.
    again = await gw.post(f"/v1/collab/sessions/{sid}/save", headers=owner.headers)
    assert (again.json()["saved"], again.json()["revision"]) == (False, 2)
    token = (await join(gw, sid, editor.headers, invite=(await invite(gw, owner, sid, "editor"))["token"])).json()
    refused = await gw.post(f"/v1/collab/sessions/{sid}/save", headers=editor.headers)
    assert (refused.status_code, slug(refused)) == (403, "not-owner")
    assert token["participant"]["role"] == "editor"


async def test_ending_saves_the_document(
    gw: httpx.AsyncClient, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    sid = await session_of(gw, owner)
    snippet_id = (await gw.get(f"/v1/collab/sessions/{sid}", headers=owner.headers)).json()["snippet_id"]
    await edit(sessions, sid, "main.py", "print('last words')\n")
    async with control(sid) as events:
        ended = await gw.delete(f"/v1/collab/sessions/{sid}", headers=owner.headers)
        assert ended.status_code == 204
        first, second = await next_event(events), await next_event(events)
    assert first == {"type": "saved", "revision": 2, "snippet_id": snippet_id}
    assert second == {"type": "ended"}
    assert await files_of(gw, owner.headers, snippet_id) == (2, "print('last words')\n")


async def test_idle_sessions_are_ended_and_saved_by_the_sweep(
    auth: AuthService, make_account: MakeAccount, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await make_account()
    async with gateway(auth, collab_idle_end_s=3600, collab_sweep_interval_s=0.2) as gw:
        idle, busy = await session_of(gw, owner), await session_of(gw, owner)
        await edit(sessions, idle, "main.py", "print('left open')\n")
        async with sessions() as db:
            stale = datetime.now(UTC) - timedelta(hours=2)
            await db.execute(
                update(CollabSession).where(CollabSession.id == uuid.UUID(idle)).values(last_activity_at=stale)
            )
            await db.commit()
        async with asyncio.timeout(20):
            while (await gw.get(f"/v1/collab/sessions/{idle}", headers=owner.headers)).json()["status"] != "ended":
                await asyncio.sleep(0.2)
        snippet_id = (await gw.get(f"/v1/collab/sessions/{idle}", headers=owner.headers)).json()["snippet_id"]
        assert await files_of(gw, owner.headers, snippet_id) == (2, "print('left open')\n")
        # A session touched within the hour stays open.
        assert (await gw.get(f"/v1/collab/sessions/{busy}", headers=owner.headers)).json()["status"] == "active"
