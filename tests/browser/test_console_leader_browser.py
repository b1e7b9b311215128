"""A district leader in headless Chromium: every console page at 1280 and 390 px wide, in
Vietnamese and English; what the leader must see (names, local times, the overdue units,
the chart), no page wider than the phone, and the month's report downloaded.

Screenshots go to ``test-artifacts/console-leader/`` (CI keeps them); the ones shown in
``docs/operators.md`` are written to ``docs/img/`` when ``LIENTHONG_DOC_SHOTS=1``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from gateway.console.people import LOCAL
from tests.support.seeded_hub import COMMUNES, DISTRICTS, SeededHub, _send, seeded_hub

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console-leader"
DOC_SHOTS = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PAGES = ("/console", "/console/dashboard", "/console/messages", "/console/units")
LOCAL_TIME = re.compile(r"\d\d:\d\d \d\d/\d\d/\d{4}")
#: The leader of district 02 (the seeded overdue document reached it; commune 02.01 is below).
SCOPE = DISTRICTS[1]


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[SeededHub, str]]:
    async with seeded_hub(tmp_path / "home") as running:
        token = await running.hub.directory.create_token(operator="Chủ tịch huyện 02", scope=SCOPE)
        yield running, token


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        await chromium.close()


async def _shot(page: Page, name: str, doc: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if doc and os.environ.get("LIENTHONG_DOC_SHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(DOC_SHOTS / f"console-{name}.png"))


async def _login(page: Page, url: str, token: str, lang: str) -> None:
    await page.goto(f"{url}/console/login?lang={lang}")
    # the token field has autofocus (keyboard only); wait for it, or on a loaded machine the
    # first keys land before the focus does and the token arrives cut
    await expect(page.locator("#token")).to_be_focused()
    await page.keyboard.type(token)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{url}/console")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_leader_sees_their_communes(
    live: tuple[SeededHub, str], browser: Browser, width: int, lang: str
) -> None:
    """Each page fits the width; names, local times, overdue units and the chart show."""
    hub, token = live
    page = await browser.new_page(viewport={"width": width, "height": 800})
    await _login(page, hub.url, token, lang)
    scope_name = "Hội Nông dân huyện 02"
    for path in PAGES:
        await page.goto(hub.url + path)
        await expect(page.locator("#scope")).to_contain_text(f"{scope_name} ({SCOPE})")
        overflow = await page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, (path, overflow)  # no sideways scrolling
        await _shot(page, f"{path.strip('/').replace('/', '-')}-{lang}-{width}")
    await page.goto(f"{hub.url}/console/dashboard")
    await expect(page.locator("#chart-daily")).to_be_visible()
    overdue = page.locator("#overdue-units")
    await expect(overdue).to_contain_text(f"{scope_name} ({SCOPE})")
    await expect(page.locator("#overdue-documents")).to_contain_text("Báo cáo quý <b>IV</b>")
    deadline = await page.locator("#overdue-documents time").first.inner_text()
    assert LOCAL_TIME.fullmatch(deadline)
    await expect(page.locator("#drill-children")).to_contain_text(COMMUNES[2])
    await expect(page.locator("#drill-children")).not_to_contain_text(DISTRICTS[0])
    await _shot(page, f"dashboard-{lang}-{width}", doc=(lang, width) != ("en", 390))
    await page.locator("#overdue-documents a").first.click()
    await expect(page.locator("#timeline")).to_contain_text(f"{scope_name} ({SCOPE})")
    await expect(page.locator("#timeline")).not_to_contain_text(DISTRICTS[0])
    created = await page.locator("main p time").first.inner_text()
    assert LOCAL_TIME.fullmatch(created)
    await _shot(page, f"document-{lang}-{width}", doc=(lang, width) == ("vi", 390))


async def test_leader_downloads_the_months_report(
    live: tuple[SeededHub, str], browser: Browser
) -> None:
    """The dashboard's button gives the month's XLSX, as a file to forward."""
    hub, token = live
    page = await browser.new_page(accept_downloads=True)
    await _login(page, hub.url, token, "vi")
    await page.goto(f"{hub.url}/console/dashboard")
    async with page.expect_download() as info:
        await page.click("#report-button")
    download = await info.value
    month = datetime.now(LOCAL).strftime("%Y-%m")
    assert download.suggested_filename == f"lienthong-{SCOPE}-{month}.xlsx"
    path = await download.path()
    assert path is not None and Path(path).read_bytes()[:2] == b"PK"


async def test_dashboard_updates_live(live: tuple[SeededHub, str], browser: Browser) -> None:
    """A document sent inside the scope shows on the open dashboard without a reload."""
    hub, token = live
    page = await browser.new_page(viewport={"width": 390, "height": 800})
    await _login(page, hub.url, token, "vi")
    await page.goto(f"{hub.url}/console/dashboard")
    await expect(page.locator("#n-sent")).to_have_text("1")
    await asyncio.sleep(1.5)  # let the event stream connect
    await _send(hub.hub, COMMUNES[2], [SCOPE], "Báo cáo nhanh của xã")
    await expect(page.locator("#n-sent")).to_have_text("2", timeout=10_000)
