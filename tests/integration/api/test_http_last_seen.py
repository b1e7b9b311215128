"""Last seen: recorded on authenticated calls and mailbox polls, shown by the API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.directory.directory import Unit
from tests.support.api_world import PROV, A, B, C, World

pytestmark = pytest.mark.integration


async def _seen(world: World, unit: str) -> Unit:
    """``unit`` once its last-seen time is written (the write runs beside the request)."""
    for _ in range(100):
        found = await world.hub.directory.get(unit)
        if found.last_seen_at is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{unit} never seen")


async def test_calls_and_polls_record_last_seen_once_a_minute(world: World) -> None:
    """A mailbox poll and any authenticated call record the unit; a minute's calls write once."""
    before = datetime.now(UTC)
    assert (await world.hub.directory.get(B)).last_seen_at is None
    await world.mailbox(B, wait=0)
    first = (await _seen(world, B)).last_seen_at
    assert first is not None and first >= before - timedelta(seconds=1)
    resp = await world.client.get("/api/v1/units/summary", headers=world.auth(A))
    assert resp.status == 403  # refused, but the caller was authenticated: seen
    await _seen(world, A)
    await world.mailbox(B, wait=0)
    await asyncio.sleep(0.2)
    assert (await world.hub.directory.get(B)).last_seen_at == first
    assert (await world.hub.directory.get(C)).last_seen_at is None


async def test_units_summary_shows_and_filters_last_seen(world: World) -> None:
    """The operators' unit summary carries last_seen_at and filters by days not seen."""
    await world.hub.directory.touch(A, at=datetime.now(UTC) - timedelta(days=9))
    await world.mailbox(B, wait=0)
    await _seen(world, B)
    resp = await world.client.get("/api/v1/units/summary", headers=world.auth("operator"))
    assert resp.status == 200
    by_unit = {item["unit"]: item for item in (await resp.json())["items"]}
    assert by_unit[B]["last_seen_at"] is not None and by_unit[C]["last_seen_at"] is None
    resp = await world.client.get(
        "/api/v1/units/summary?not_seen_days=7", headers=world.auth("operator")
    )
    assert sorted(i["unit"] for i in (await resp.json())["items"]) == sorted([PROV, A, C])
    for bad in ("-1", "x", "99999999"):
        resp = await world.client.get(
            f"/api/v1/units/summary?not_seen_days={bad}", headers=world.auth("operator")
        )
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["code"] == "request.bad_parameter"


async def test_message_status_says_when_each_recipient_was_last_seen(world: World) -> None:
    """The status timeline gives each recipient's last_seen_at: has it called at all?"""
    message_id = await world.send(A, (B, C))
    await world.mailbox(B, wait=5)
    await _seen(world, B)
    resp = await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(A))
    seen = {r["unit"]: r["last_seen_at"] for r in (await resp.json())["recipients"]}
    assert seen[B] is not None and seen[C] is None
