"""The console driven in headless Chromium against a live hub with data.

Screenshots of each step are written to ``test-artifacts/console/`` (CI keeps them).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from gateway.directory.principal import Principal
from tests.support.console_browser import login, shot
from tests.support.seeded_hub import COMMUNES, DISTRICTS, SeededHub, seeded_hub

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        await chromium.close()


async def test_login_overview_and_overdue(live: SeededHub, browser: Browser) -> None:
    """An operator logs in by keyboard and sees which documents are overdue, and where."""
    page = await browser.new_page()
    await login(page, live)
    await expect(page.locator("#n-overdue")).to_have_text("1")
    overdue_row = page.locator("#overdue + table tbody tr")
    await expect(overdue_row).to_contain_text("Báo cáo quý <b>IV</b>")
    await expect(overdue_row).to_contain_text(DISTRICTS[1])
    await shot(page, "01-overview")
    await page.click("#lang-switch")
    await expect(page.locator("h1")).to_have_text("Overview")
    await shot(page, "02-overview-en")


async def test_search_and_timeline_with_live_receipt(live: SeededHub, browser: Browser) -> None:
    """Search finds a document; its timeline updates live when a new receipt arrives."""
    page = await browser.new_page()
    await login(page, live)
    await page.click("text=Văn bản")
    await page.fill("#q-text", "quý")
    await page.click("#search-button")
    results = page.locator("#results tbody tr")
    await expect(results).to_have_count(1)
    await shot(page, "03-search")
    await results.locator("a").first.click()
    row = page.locator(f"#timeline tr[data-unit='{DISTRICTS[1]}']")
    await expect(row.locator(".state")).to_contain_text("Đã đến hộp thư")  # delivered (and overdue)
    await shot(page, "04-timeline")
    await asyncio.sleep(1.5)  # let the event stream connect
    await live.hub.post_receipt(
        Principal(unit=DISTRICTS[1]), live.documents["overdue"], status="03"
    )
    await expect(row.locator(".state")).to_contain_text("Đã tiếp nhận", timeout=10_000)
    await expect(row.locator(".receipts")).to_contain_text("03 Đã tiếp nhận")
    await shot(page, "05-timeline-live")


async def test_unit_tree(live: SeededHub, browser: Browser) -> None:
    """The unit tree shows the province, districts and communes with mailbox depth."""
    page = await browser.new_page()
    await login(page, live)
    await page.click("text=Đơn vị")
    tree = page.locator("#unit-tree")
    await expect(tree).to_contain_text(COMMUNES[0])
    await shot(page, "06-units")


async def test_retry_and_discard_dead_letters(live: SeededHub, browser: Browser) -> None:
    """A poison message dead-letters; the operator retries it (audited) and discards it."""
    poison = json.dumps({"kind": "document", "message_id": "not-a-uuid"}).encode()
    await live.hub.bus.publish("documents", COMMUNES[0], poison, message_id="poison-1")
    for _ in range(100):
        if await live.hub.bus.dead_letter_count():
            break
        await asyncio.sleep(0.1)
    page = await browser.new_page()
    await login(page, live)
    await page.click("text=Thư lỗi")
    table = page.locator("#dead-letters")
    await expect(table).to_contain_text("poison-1")
    await shot(page, "07-dead-letters")
    await table.locator("button.retry").first.click()
    await expect(page).to_have_url(f"{live.url}/console/dead-letters")
    for _ in range(100):  # the retried poison fails again and comes back
        if await live.hub.bus.dead_letter_count():
            break
        await asyncio.sleep(0.1)
    await page.reload()
    await expect(table).to_contain_text("poison-1")
    await expect(table).to_contain_text("Bị từ chối khi xử lý")  # the reason in words
    await table.locator("button.discard").first.click()
    await expect(page.locator("#discard-question")).to_be_visible()  # asked, not yet done
    assert await live.hub.bus.dead_letter_count() == 1
    await shot(page, "08-dead-letters-discard-asked")
    await page.click("#discard-yes")
    await expect(page.locator("#dead-empty")).to_be_visible()
    await shot(page, "09-dead-letters-empty")
    from gateway.console.data import ConsoleData

    actions = [
        e["action"]
        for e in await ConsoleData(live.hub).events_after(
            Principal(operator="ops"), 0, limit=10_000
        )
    ]
    assert "dead_letter.retry" in actions and "dead_letter.discard" in actions
