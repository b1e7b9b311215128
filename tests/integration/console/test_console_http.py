"""The operators' console over real HTTP: login, CSRF, pages, escaping, CSV, SSE."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.console import CSP
from tests.support.console_client import login
from tests.support.seeded_hub import DISTRICTS, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def test_pages_need_a_session(live: SeededHub) -> None:
    """Without logging in every page redirects to the login form."""
    async with aiohttp.ClientSession() as client:
        for path in ("/console", "/console/messages", "/console/units", "/console/dead-letters"):
            async with client.get(live.url + path, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/console/login"


async def test_unit_token_cannot_log_in(live: SeededHub) -> None:
    """Only operator tokens open the console; a unit token is refused with 403."""
    token = await live.hub.directory.create_token(unit=DISTRICTS[0])
    async with aiohttp.ClientSession() as client:
        async with client.post(f"{live.url}/console/login", data={"token": token}) as r:
            assert r.status == 403
        async with client.post(f"{live.url}/console/login", data={"token": "nope"}) as r:
            assert r.status == 401


async def test_overview_counts_and_overdue(live: SeededHub) -> None:
    """The overview shows today's documents and lists the overdue one with its units."""
    client, _ = await login(live)
    async with client:
        async with client.get(f"{live.url}/console") as r:
            page = await r.text()
            assert r.headers["Content-Security-Policy"] == CSP
        assert re.search(r'id="n-today">3<', page)
        assert re.search(r'id="n-overdue">1<', page)
        assert live.documents["overdue"] in page
        # states in Vietnamese by default (QCVN 102 names), in English with ?lang=en
        # names beside codes (issue 29)
        assert f"Hội Nông dân huyện 01 ({DISTRICTS[0]}): Đã đến<" in page
        assert f"Hội Nông dân huyện 02 ({DISTRICTS[1]}): Đã đến hộp thư<" in page
        async with client.get(f"{live.url}/console?lang=en") as r:
            english = await r.text()
        assert f"({DISTRICTS[0]}): Received<" in english
        assert f"({DISTRICTS[1]}): In the mailbox<" in english


async def test_subject_is_escaped(live: SeededHub) -> None:
    """Subjects are autoescaped: markup in a subject is shown, never rendered."""
    client, _ = await login(live)
    async with client, client.get(f"{live.url}/console/messages?q=IV") as r:
        page = await r.text()
    assert "Báo cáo quý &lt;b&gt;IV&lt;/b&gt;" in page
    assert "<b>IV</b>" not in page


async def test_search_filters_and_english(live: SeededHub) -> None:
    """Search by state finds only matching documents; ?lang=en switches the labels."""
    client, _ = await login(live)
    async with client:
        async with client.get(f"{live.url}/console/messages?state=rejected&lang=en") as r:
            page = await r.text()
        async with client.get(f"{live.url}/console/messages?state=rejected&lang=vi") as r:
            vietnamese = await r.text()
    assert live.documents["rejected"] in page
    assert live.documents["done"] not in page
    assert "Documents" in page and "Search" in page
    assert '<option value="rejected" selected>Rejected</option>' in page
    assert '<option value="rejected" selected>Từ chối tiếp nhận</option>' in vietnamese
    assert "Từ chối tiếp nhận: 1" in vietnamese  # the recipients' states column


async def test_timeline_and_audit_trail(live: SeededHub) -> None:
    """A message page lists each recipient's receipts and the message's audit entries."""
    client, _ = await login(live)
    async with client, client.get(f"{live.url}/console/messages/{live.documents['done']}") as r:
        page = await r.text()
    for code in ("01", "03", "04", "05", "06"):
        assert f"{code} " in page
    assert 'data-action="receipt.added"' in page and 'data-action="message.accepted"' in page
    assert "Nhận biên nhận" in page and "Trục tiếp nhận văn bản" in page  # in words


async def test_csv_export_neutralises_formulas(live: SeededHub) -> None:
    """The CSV export carries every hit; text starting with = cannot run as a formula."""
    from gateway.directory.principal import Principal
    from gateway.pipeline.document import UploadedFile

    ref = await live.hub.blobs.put_bytes(b"x")
    await live.hub.submit_document(
        Principal(unit=DISTRICTS[0]),
        {"to": [DISTRICTS[1]], "subject": "=HYPERLINK(1)"},
        [UploadedFile("a.txt", "text/plain", ref.sha256, ref.size)],
    )
    client, _ = await login(live)
    async with client, client.get(f"{live.url}/console/messages.csv") as r:
        body = await r.text()
    lines = body.strip().splitlines()
    assert len(lines) == 1 + 4
    assert "'=HYPERLINK(1)" in body


async def test_post_without_csrf_is_refused(live: SeededHub) -> None:
    """A form POST without the session's CSRF token changes nothing (403 auth.csrf)."""
    client, csrf = await login(live)
    async with client:
        async with client.post(f"{live.url}/console/logout", data={"csrf": "forged"}) as r:
            assert r.status == 403  # a page in the reader's language, the code beside
            assert "<code>auth.csrf</code>" in await r.text()
        async with client.get(f"{live.url}/console", allow_redirects=False) as r:
            assert r.status == 200
        async with client.post(f"{live.url}/console/logout", data={"csrf": csrf}) as r:
            assert r.url.path == "/console/login"


async def test_unit_tree_shows_depth_and_last_seen(live: SeededHub) -> None:
    """The unit tree nests communes under districts and shows pending mailbox items."""
    client, _ = await login(live)
    async with client, client.get(f"{live.url}/console/units") as r:
        page = await r.text()
    assert page.index("000.00.00.H01") < page.index("000.00.01.H01") < page.index("000.01.01.H01")
    assert "Hộp thư chờ" in page


async def test_events_stream_a_new_receipt(live: SeededHub) -> None:
    """The SSE feed emits a receipt event when a status is posted."""
    client, _ = await login(live)
    async with client, client.get(f"{live.url}/console/events") as r:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        await r.content.readline()
        await live.hub.post_receipt(live.unit(DISTRICTS[1]), live.documents["overdue"], status="01")
        text = ""
        async with asyncio.timeout(10):
            while "event: receipt" not in text:
                text += (await r.content.readline()).decode()
        assert live.documents["overdue"] in (await r.content.readline()).decode()
