"""The hub's overdue notices in the web mailbox against a running ``lienthong serve``:
shown apart from documents, marked as the hub's, dismissed with the CSRF token only
(issue 25 item 5)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support.hubproc import HubProcess
from support.livehub import A, B, LiveHome, live_home

pytestmark = [pytest.mark.slow]

#: Documents due at once, passes every half second: the serving process tells A.
_DUE_AT_ONCE = '[deadlines]\nreceived = "0h"\ncompleted = "0h"\ncheck_seconds = 0.5\n'


async def _cookie(live: LiveHome, hub: HubProcess, who: str) -> dict[str, str]:
    form = {"token": live.tokens[who]}
    reply = await live.request(hub, "POST", "/mailbox/login", data=form, headers={})
    assert reply.status == 303, reply
    return {"Cookie": reply.headers["Set-Cookie"].split(";", 1)[0]}


async def _inbox(live: LiveHome, hub: HubProcess, cookie: dict[str, str]) -> str:
    reply = await live.request(hub, "GET", "/mailbox", headers=cookie)
    assert reply.status == 200, reply
    return reply.body.decode()


async def _notices(live: LiveHome, hub: HubProcess, want: int) -> list[dict[str, Any]]:
    for _ in range(100):
        reply = await live.request(hub, "GET", "/api/v1/mailbox", who=A)
        items = [i for i in reply.json["items"] if i["kind"] == "notice"]
        if len(items) >= want:
            return items
        await asyncio.sleep(0.2)
    raise AssertionError(f"A has {len(items)} notices, not {want}")


async def test_notices_are_shown_apart_and_dismissed(tmp_path: Path, sqlite_url: str) -> None:
    """B has not answered in time: A's inbox page shows the two notices under the hub's
    heading, marked and linked to the document, not as received documents; B's page has
    none; a dismissal without the CSRF token is refused, with it they are gone."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        with (live.home.root / "config.toml").open("a", encoding="utf-8") as config:
            config.write(_DUE_AT_ONCE)
        hub = await live.serve()
        sent = await live.send(hub, A, subject="Báo cáo tháng")
        assert sent.status == 202, sent
        message_id = sent.json["id"]
        await _notices(live, hub, 2)
        cookie = await _cookie(live, hub, A)
        page = await _inbox(live, hub, cookie)
        section, _, documents = page.partition('<table id="inbox">')
        assert 'id="hub-notices"' in section and section.count('class="hub-notice"') == 2
        assert "Thông báo hệ thống" in section and f"/mailbox/documents/{message_id}" in section
        assert message_id not in documents
        b_page = await _inbox(live, hub, await _cookie(live, hub, B))
        assert 'id="hub-notices"' not in b_page and message_id in b_page

        items = [("item", n) for n in section.split('name="item" value="')[1:]]
        form = [(k, v.split('"', 1)[0]) for k, v in items]
        headers = {**cookie, "Origin": hub.url}
        refused = await live.request(
            hub, "POST", "/mailbox/notices/ack", data=form, headers=headers
        )
        assert refused.status == 403
        done = await live.request(
            hub,
            "POST",
            "/mailbox/notices/ack",
            data=[("csrf", re.findall(r'name="csrf" value="([^"]+)"', page)[0]), *form],
            headers=headers,
        )
        assert done.status == 303 and done.headers["Location"] == "/mailbox"
        assert 'id="hub-notices"' not in await _inbox(live, hub, cookie)
        reply = await live.request(hub, "GET", "/api/v1/mailbox", who=A)
        assert [i for i in reply.json["items"] if i["kind"] == "notice"] == []


async def test_a_document_revoked_before_it_was_fetched_leaves_the_inbox(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A revokes a document before B opened its mailbox: B's inbox page lists the
    revocation only, not the withdrawn original (issue 25 item 3)."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        sent = await live.send(hub, A, subject="Sẽ thu hồi")
        original = sent.json["id"]
        form = aiohttp.FormData()
        metadata = {"to": [B], "subject": "Thu hồi", "kind": "revoke", "refers_to": original}
        form.add_field("metadata", json.dumps(metadata), content_type="application/json")
        form.add_field("file", b"thu hoi", filename="thu-hoi.txt", content_type="text/plain")
        revoked = await live.request(hub, "POST", "/api/v1/messages", who=A, data=form)
        assert revoked.status == 202, revoked
        page = await _inbox(live, hub, await _cookie(live, hub, B))
        assert revoked.json["id"] in page and original not in page
