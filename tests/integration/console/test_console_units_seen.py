"""The console's units page: last seen per unit and the "not seen for N days" filter."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from gateway.console.people import LOCAL
from tests.support.seeded_hub import COMMUNES, DISTRICTS, PROVINCE, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    """The seeded hub with one district seen today and the other ten days ago."""
    async with seeded_hub(tmp_path / "home") as running:
        now = datetime.now(UTC)
        await running.hub.directory.touch(DISTRICTS[0], at=now)
        await running.hub.directory.touch(DISTRICTS[1], at=now - timedelta(days=10))
        yield running


async def _page(live: SeededHub, query: str) -> tuple[int, str]:
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])  # the cookie is Secure
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        login = {"token": live.operator_token}
        async with client.post(f"{live.url}/console/login", data=login) as r:
            assert r.status == 200
        async with client.get(f"{live.url}/console/units{query}") as r:
            return r.status, await r.text()


async def test_tree_shows_last_seen(live: SeededHub) -> None:
    """The tree shows each unit's last-seen time, or "never"."""
    status, page = await _page(live, "?lang=en")
    assert status == 200
    seen = datetime.now(LOCAL).strftime("%d/%m/%Y")  # Vietnam's local time (issue 29)
    assert re.search(
        rf"{DISTRICTS[0]}</span>.*?Last seen: <time[^>]*>\d\d:\d\d {seen}<", page, re.S
    )
    assert re.search(rf"{COMMUNES[0]}</span>.*?Last seen: never", page, re.S)


async def test_filter_lists_units_not_seen_for_n_days(live: SeededHub) -> None:
    """not_seen_days=7 lists the units never seen and the one seen ten days ago, no other."""
    status, page = await _page(live, "?not_seen_days=7&lang=en")
    assert status == 200
    table = page.split('id="units-not-seen"', 1)[1]
    codes = re.findall(r'<td class="code">([^<]+)</td>', table)
    assert DISTRICTS[1] in codes and DISTRICTS[0] not in codes
    expected = [u.code for u in await live.hub.directory.list() if u.last_seen_at is None]
    assert codes == sorted([*expected, DISTRICTS[1]])
    assert PROVINCE in codes  # the seed's mailbox polls recorded some communes, not it
    assert 'value="7"' in page


async def test_filter_refuses_a_bad_day_count(live: SeededHub) -> None:
    """A negative or non-numeric day count is a 400, not a 500."""
    for bad in ("-1", "abc", "40000"):
        status, _ = await _page(live, f"?not_seen_days={bad}")
        assert status == 400, bad
