"""The console's message page shows urgency, revoke/update/replace links and who is
overdue or late (issue 25), over HTTP against a live hub."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.seeded_hub import DISTRICTS, PROVINCE, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def _page(client: aiohttp.ClientSession, live: SeededHub, message_id: str) -> str:
    async with client.get(f"{live.url}/console/messages/{message_id}") as r:
        assert r.status == 200
        return await r.text()


async def test_message_page_shows_urgency_links_and_overdue(live: SeededHub) -> None:
    """A hỏa tốc revocation names its original and the original reads revoked, linked;
    the document past its due date shows both districts overdue."""
    ref = await live.hub.blobs.put_bytes(b"thu hoi")
    from gateway.pipeline.document import UploadedFile

    files = [UploadedFile("thu-hoi.txt", "text/plain", ref.sha256, ref.size)]
    meta = {
        "to": [DISTRICTS[0]],
        "subject": "Thu hồi kế hoạch",
        "kind": "revoke",
        "refers_to": live.documents["done"],
        "urgency": "hỏa tốc",
    }
    revoke = (await live.hub.submit_document(live.unit(PROVINCE), meta, files)).message_id
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.post(
            f"{live.url}/console/login", data={"token": live.operator_token}
        ) as r:
            assert r.status == 200
        page = await _page(client, live, revoke)
        assert re.search(r'id="urgency" data-urgency="3">Hỏa tốc<', page)
        assert f'id="refers-to" href="/console/messages/{live.documents["done"]}"' in page
        page = await _page(client, live, live.documents["done"])
        assert 'id="document-state" data-state="revoked"' in page
        assert f'href="/console/messages/{revoke}"' in page
        page = await _page(client, live, live.documents["overdue"])
        assert page.count('data-overdue="completed"') == 2
