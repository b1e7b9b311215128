"""The operators' console in headless Chromium: logging in with the keyboard and keeping
screenshots of the pages under test-artifacts/console/."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.support.seeded_hub import SeededHub

__all__ = ["ARTIFACTS", "login", "shot"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


async def shot(page: Page, name: str) -> None:
    """A full-page screenshot ``name.png`` under :data:`ARTIFACTS`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def login(page: Page, live: SeededHub) -> None:
    """Log in to ``live``'s console as its operator, typing the token."""
    await page.goto(f"{live.url}/console")
    await expect(page).to_have_url(f"{live.url}/console/login")
    await expect(page.locator("#token")).to_be_focused()  # autofocus, before any key
    await page.keyboard.type(live.operator_token)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{live.url}/console")
