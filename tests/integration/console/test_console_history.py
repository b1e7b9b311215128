"""The console's message pages tell history as it was (issue 24 item 3): a sender and
recipients under the names they had when the document was sent, a retired recipient
with the unit that now handles it, and each hand-over of an item to a successor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.directory import changes
from gateway.directory.lineage import parse_at
from gateway.directory.principal import Principal
from tests.support.console_client import login
from tests.support.seeded_hub import DISTRICTS, PROVINCE, SeededHub, _send, seeded_hub

OLD_NAME = "Hội Nông dân huyện 02"  # what the seed calls DISTRICTS[1]
NEW_NAME = "Hội Nông dân khu vực Mới"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def test_names_of_the_time_and_hand_overs(live: SeededHub) -> None:
    """After DISTRICTS[1] is renamed and DISTRICTS[0] merged into it, the search page and
    the message pages show the names the units had when each document was sent, the unit
    that now handles the merged one, and the successor's taking over of its document."""
    gone, survivor = DISTRICTS
    pending = await _send(live.hub, PROVINCE, [gone], "Công văn chờ chuyển giao")
    now = parse_at(None)
    directory = live.hub.directory
    await directory.change(lambda s, actor: changes.rename(s, survivor, NEW_NAME, now, actor=actor))
    await directory.change(lambda s, actor: changes.merge(s, [gone], survivor, now, actor=actor))
    directory.lineage.forget()
    for _ in range(100):  # the survivor reads the merged unit's pending document
        items = await live.hub.mailbox(Principal(unit=survivor), wait=0.5, limit=50)
        if any(i["message_id"] == pending for i in items):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the survivor never read the handed-over document")

    client, _ = await login(live)
    async with client:
        async with client.get(f"{live.url}/console/messages?state=rejected") as r:
            listing = await r.text()
        async with client.get(f"{live.url}/console/messages/{live.documents['rejected']}") as r:
            sent_page = await r.text()
        async with client.get(f"{live.url}/console/messages/{live.documents['done']}") as r:
            done_page = await r.text()
        async with client.get(f"{live.url}/console/messages/{pending}?lang=en") as r:
            pending_page = await r.text()
    # the rejected document was sent by DISTRICTS[1] under its old name
    assert f"{OLD_NAME} ({survivor})" in listing and NEW_NAME not in listing
    assert f"{OLD_NAME} ({survivor})</strong>" in sent_page
    # the merged recipient: its name then, and who handles it now (today's name)
    assert f"Hội Nông dân huyện 01 ({gone})" in done_page
    assert f'data-forwarded-to="{survivor}"' in done_page
    assert f"{NEW_NAME} ({survivor})" in done_page
    # the hand-over of the pending document, in the recipient's row
    assert f'data-kind="document" data-from="{gone}" data-to="{survivor}"' in pending_page
    assert "Document taken over by the successor" in pending_page
