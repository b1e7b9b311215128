"""The console's search over real HTTP: Vietnamese text, units by name, the hint, XLSX."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import openpyxl
import pytest

from gateway.exports import COLUMNS
from tests.support.seeded_hub import DISTRICTS, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def _login(live: SeededHub) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    client = aiohttp.ClientSession(cookie_jar=jar)
    async with client.post(f"{live.url}/console/login", data={"token": live.operator_token}) as r:
        assert r.status == 200
    return client


def _result_ids(page: str) -> set[str]:
    return set(re.findall(r'href="/console/messages/([0-9a-f-]{36})"', page))


async def test_search_without_diacritics_and_unit_by_name(live: SeededHub) -> None:
    """`KE HOACH` finds the plan; `huyen 01` (a name part) finds that district's documents
    and names the unit it searched."""
    async with await _login(live) as client:
        async with client.get(f"{live.url}/console/messages", params={"q": "KE HOACH"}) as r:
            assert _result_ids(await r.text()) == {live.documents["done"]}
        params = {"unit": "huyen 01"}
        async with client.get(f"{live.url}/console/messages", params=params) as r:
            page = await r.text()
    assert _result_ids(page) == {live.documents["done"], live.documents["overdue"]}
    assert re.search(rf'id="units-matched">[^<]*\({re.escape(DISTRICTS[0])}\)', page)


async def test_unknown_unit_shows_a_hint(live: SeededHub) -> None:
    """A unit name that matches nothing shows no results and the hint (in Vietnamese)."""
    async with await _login(live) as client:
        url = f"{live.url}/console/messages"
        async with client.get(url, params={"unit": "Xín Cái", "lang": "vi"}) as r:
            page = await r.text()
    assert _result_ids(page) == set()
    assert 'id="unit-hint"' in page and "không dấu" in page


async def test_xlsx_link_exports_the_same_search(live: SeededHub) -> None:
    """The page links an XLSX export of its own search; it holds exactly those hits."""
    async with await _login(live) as client:
        async with client.get(f"{live.url}/console/messages", params={"q": "bao cao"}) as r:
            page = await r.text()
        link = re.search(r'href="(/console/messages\.xlsx\?[^"]*)" id="export-xlsx"', page)
        assert link
        async with client.get(live.url + link.group(1).replace("&amp;", "&")) as r:
            assert r.status == 200
            body = await r.read()
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == [live.documents["overdue"]]


async def test_exports_need_a_session(live: SeededHub) -> None:
    """Without a console session both exports redirect to the login form."""
    async with aiohttp.ClientSession() as client:
        for path in ("/console/messages.csv", "/console/messages.xlsx"):
            async with client.get(live.url + path, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/console/login"
