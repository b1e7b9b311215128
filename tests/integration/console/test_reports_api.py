"""Operator report endpoints: per-unit summary, overdue list, CSV export of a search."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.seeded_hub import DISTRICTS, PROVINCE, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


def _auth(live: SeededHub) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.operator_token}"}


async def test_unit_summary_counts(live: SeededHub) -> None:
    """The summary counts what each unit sent and received and where deliveries stand."""
    async with aiohttp.ClientSession(headers=_auth(live)) as client:
        async with client.get(f"{live.url}/api/v1/units/summary") as r:
            assert r.status == 200
            items = {i["unit"]: i for i in (await r.json())["items"]}
        async with client.get(f"{live.url}/api/v1/units/summary?unit={PROVINCE}") as r:
            only = (await r.json())["items"]
    assert items[PROVINCE]["sent"] == 2
    assert items[DISTRICTS[0]]["received"] == 2
    assert items[DISTRICTS[0]]["states"].get("completed") == 1
    assert [i["unit"] for i in only] == [PROVINCE]


async def test_overdue_names_each_unfinished_unit(live: SeededHub) -> None:
    """The overdue list has the late document once per unit that has not completed it."""
    async with (
        aiohttp.ClientSession(headers=_auth(live)) as client,
        client.get(f"{live.url}/api/v1/overdue") as r,
    ):
        items = (await r.json())["items"]
    assert {i["recipient"] for i in items} == set(DISTRICTS)
    assert {i["message_id"] for i in items} == {live.documents["overdue"]}


async def test_search_as_csv(live: SeededHub) -> None:
    """format=csv returns every hit of the search as CSV rows."""
    async with aiohttp.ClientSession(headers=_auth(live)) as client:
        url = f"{live.url}/api/v1/messages?format=csv&unit={DISTRICTS[0]}"
        async with client.get(url) as r:
            assert r.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert {row["id"] for row in rows} == {live.documents["done"], live.documents["overdue"]}
