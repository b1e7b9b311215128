"""The leaders' dashboard over HTTP: charts as SVG, overdue by unit, drill-down from the
province to a district to its overdue document, units not seen, bad parameters."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import lxml.html
import pytest

from gateway.console import CSP
from tests.support.seeded_hub import COMMUNES, DISTRICTS, PROVINCE, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


async def _get(live: SeededHub, path: str) -> tuple[int, str, dict[str, str]]:
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        login = {"token": live.operator_token}
        async with client.post(f"{live.url}/console/login", data=login) as r:
            assert r.status == 200
        async with client.get(live.url + path) as r:
            return r.status, await r.text(), dict(r.headers)


async def test_dashboard_shows_the_province(live: SeededHub) -> None:
    """Counts, the per-day chart (two bars a day), overdue units worst first, drill-down."""
    status, page, headers = await _get(live, "/console/dashboard?days=14")
    assert status == 200 and headers["Content-Security-Policy"] == CSP
    root = lxml.html.fromstring(page)
    assert len(root.xpath('//svg[@id="chart-daily"]/rect')) == 14 * 2
    assert root.xpath('//svg[@id="chart-overdue"]')
    assert root.get_element_by_id("n-sent").text == "3"  # three documents, once each
    assert root.get_element_by_id("n-received").text == "4"  # four deliveries
    overdue = [
        tr.get("data-unit") for tr in root.xpath('//table[@id="overdue-units"]//tr[@data-unit]')
    ]
    assert sorted(overdue) == sorted(DISTRICTS)
    children = root.xpath('//table[@id="drill-children"]//tr[@data-unit]')
    assert [tr.get("data-unit") for tr in children] == [PROVINCE]
    assert "Hội Nông dân tỉnh An Giang" in children[0].text_content()
    not_seen = [tr.get("data-unit") for tr in root.xpath('//table[@id="dashboard-not-seen"]//tr')]
    assert PROVINCE in not_seen


async def test_drill_down_to_a_document(live: SeededHub) -> None:
    """Province -> its districts (worst first) -> a district's overdue document, linked."""
    status, page, _ = await _get(live, f"/console/dashboard?unit={PROVINCE}")
    root = lxml.html.fromstring(page)
    links = root.xpath('//table[@id="drill-children"]//a/@href')
    assert status == 200 and links == [
        f"/console/dashboard?unit={DISTRICTS[0]}&days=30",
        f"/console/dashboard?unit={DISTRICTS[1]}&days=30",
    ]
    status, page, _ = await _get(live, f"/console/dashboard?unit={DISTRICTS[1]}")
    root = lxml.html.fromstring(page)
    assert status == 200 and "Hội Nông dân huyện 02" in root.findtext(".//h1")
    documents = root.xpath('//table[@id="overdue-documents"]//a/@href')
    assert documents == [f"/console/messages/{live.documents['overdue']}"]
    path = root.xpath('//nav[@id="drill-path"]//a/@href')
    assert path[-2:] == [f"/console/dashboard?unit={PROVINCE}&days=30", links[1]]
    assert f'data-unit="{COMMUNES[2]}"' in page  # its commune, below it


async def test_dashboard_refuses_bad_parameters(live: SeededHub) -> None:
    """An unknown unit is 404, a bad period 400: each a translated page, never a 500."""
    for path, expected in (("?unit=000.00.99.H01", 404), ("?days=0", 400), ("?days=x", 400),
                           ("?not_seen_days=-3", 400), ("?days=367", 400)):  # fmt: skip
        status, page, _ = await _get(live, "/console/dashboard" + path)
        assert status == expected, path
        assert re.search(r"<code>[a-z_.]+</code>", page), path


async def test_a_revoked_document_is_not_overdue_on_the_dashboard(live: SeededHub) -> None:
    """The province revokes its overdue report: no unit is overdue for it any more, nor
    is it listed among the overdue documents (issue 25)."""
    token = await live.hub.directory.create_token(unit=PROVINCE)
    form = aiohttp.FormData()
    metadata = {
        "to": list(DISTRICTS[:2]),
        "subject": "Thu hồi báo cáo quý",
        "kind": "revoke",
        "refers_to": live.documents["overdue"],
    }
    form.add_field("metadata", json.dumps(metadata), content_type="application/json")
    form.add_field("file", b"thu hoi", filename="thu-hoi.txt", content_type="text/plain")
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{live.url}/api/v1/messages", data=form, headers={"Authorization": f"Bearer {token}"}
        ) as sent,
    ):
        assert sent.status == 202, await sent.text()
    status, page, _ = await _get(live, "/console/dashboard?days=14")
    root = lxml.html.fromstring(page)
    assert status == 200
    assert root.xpath('//table[@id="overdue-units"]//tr[@data-unit]') == []
    assert live.documents["overdue"] not in page
