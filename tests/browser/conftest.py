"""Browser tests fail when any request they make logs at ERROR: a hub event logged while a
request was handled (it carries the request id), or an error from the standard library's
loggers (aiohttp's "Error handling request" among them). A test's own planted faults (a
poison message failing in a bus consumer) are not requests."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright
from structlog.testing import capture_logs

#: Debian's Chromium, headless, with nothing that reaches the network by itself.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test (a test module may define its own)."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        await chromium.close()


@pytest.fixture(autouse=True)
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log event of the test (the hub's shutdown included); none at ERROR."""
    caplog.set_level(logging.WARNING)
    with capture_logs() as events:
        yield
    errors = [
        e for e in events if e.get("log_level") in ("error", "critical") and "request_id" in e
    ]
    errors += [
        {"logger": r.name, "message": r.getMessage()}
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]
    assert errors == [], f"requests logged at ERROR: {errors}"
