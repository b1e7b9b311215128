"""Changing a unit in headless Chromium (issue 24): from the tree's link to a scheduled
merge, previewed and confirmed by an operator with the keyboard and mouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from gateway.console.people import LOCAL
from tests.support.console_browser import login, shot
from tests.support.seeded_hub import DISTRICTS, SeededHub, seeded_hub

pytestmark = pytest.mark.browser


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def test_scheduled_merge_from_the_tree(live: SeededHub, browser: Browser) -> None:
    """The operator opens a district's change page from the tree, schedules its merge for
    next month, sees the preview, confirms, and the page shows the retirement to come."""
    gone, survivor = DISTRICTS
    page = await browser.new_page()
    await login(page, live)
    await page.goto(f"{live.url}/console/units?lang=en")
    await page.click(f'a[href="/console/units/{gone}/change"]')
    await expect(page.locator("#unit-state")).to_have_attribute("data-state", "active")
    later = (datetime.now(LOCAL) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    await page.fill("#merge-into", survivor)
    await page.fill("#merge-at", later)
    await shot(page, "unit-change-form")
    await page.click("#merge-preview")
    await expect(page.locator("#preview-when")).to_have_attribute("data-scheduled", "True")
    await expect(page.locator('#preview-steps li[data-action="unit.merged"]')).to_have_count(1)
    await shot(page, "unit-change-preview")
    await page.click("#change-confirm")
    await expect(page.locator("#change-done")).to_have_attribute("data-done", "merge")
    await expect(page.locator("#unit-successors")).to_contain_text(survivor)
    await expect(page.locator("#unit-until")).to_be_visible()
    await expect(page.locator("#form-merge")).to_have_count(0)
    await shot(page, "unit-change-done")
    assert await live.hub.directory.lineage.active(gone)  # not before its instant
