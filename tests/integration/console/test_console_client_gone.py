"""A client that goes away mid-answer is one INFO line, never an error with a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from tests.support.seeded_hub import SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    """The seeded hub, serving the console."""
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def test_leaving_the_live_feed_logs_one_info_line(live: SeededHub) -> None:
    """Closing the console's event stream logs api.client_gone at INFO, nothing at ERROR."""
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    with capture_logs() as events:
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            login = {"token": live.operator_token}
            async with client.post(f"{live.url}/console/login", data=login) as r:
                assert r.status == 200
            stream = await client.get(f"{live.url}/console/events")
            assert await stream.content.readline() == b": connected\n"
            stream.close()  # the operator leaves the page
        for _ in range(50):  # the stream notices at its next ping (every second)
            if any(e["event"] == "api.client_gone" for e in events):
                break
            await asyncio.sleep(0.1)
    gone = [e for e in events if e["event"] == "api.client_gone"]
    assert len(gone) == 1 and gone[0]["log_level"] == "info"
    assert gone[0]["path"] == "/console/events" and "exc_info" not in gone[0]
    assert [e for e in events if e["log_level"] in ("error", "critical")] == []
