"""Urgency as data over HTTP on both backends: validated, shown, ordering the mailbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from gateway.store.models import MailboxItemRow
from tests.support.api_world import B, World


async def _urgency(world: World, message_id: str) -> tuple[str, str]:
    resp = await world.client.get(
        f"/api/v1/messages/{message_id}/status", headers=world.auth("operator")
    )
    body = await resp.json()
    return body["urgency"], body["urgency_name"]


async def test_names_and_codes_are_stored_as_edxml_codes(world: World) -> None:
    """ "Hỏa tốc", "khan" and "2" are stored as the edXML codes 3, 1 and 2; none is 0."""
    cases = {"Hỏa tốc": ("3", "hỏa tốc"), "khan": ("1", "khẩn"), "2": ("2", "thượng khẩn")}
    for given, expected in cases.items():
        assert await _urgency(world, await world.send(urgency=given)) == expected
    assert await _urgency(world, await world.send()) == ("0", "thường")


async def test_an_unknown_urgency_is_422_listing_the_valid_values(world: World) -> None:
    """urgency "rất gấp" is refused with request.bad_urgency naming every valid code."""
    import json

    import aiohttp

    form = aiohttp.FormData()
    metadata = {"to": [B], "subject": "x", "urgency": "rất gấp"}
    form.add_field("metadata", json.dumps(metadata), content_type="application/json")
    form.add_field("file", b"x", filename="a.txt", content_type="text/plain")
    resp = await world.client.post(
        "/api/v1/messages", data=form, headers=world.auth("000.00.01.H01")
    )
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "request.bad_urgency"
    for valid in ("0 (thường)", "1 (khẩn)", "2 (thượng khẩn)", "3 (hỏa tốc)"):
        assert valid in error["message"]


async def test_mailbox_hands_out_urgent_first(world: World) -> None:
    """B's mailbox lists hỏa tốc, then khẩn, then normal, whatever the order they came in."""
    normal = await world.send(subject="thường")
    flash = await world.send(subject="hỏa tốc", urgency="3")
    urgent = await world.send(subject="khẩn", urgency="1")
    for mid in (normal, flash, urgent):
        await world.wait_state(mid, B, {"queued"})
    items = await world.mailbox(B)
    assert [i["message_id"] for i in items] == [flash, urgent, normal]
    assert [i["urgency"] for i in items] == ["3", "1", "0"]


async def test_a_long_waiting_document_is_not_starved(world: World) -> None:
    """A normal document that has waited longer than hỏa tốc's head start (4 h) comes
    before hỏa tốc documents that arrived after it; a younger one does not."""
    old = await world.send(subject="chờ lâu")
    await world.wait_state(old, B, {"queued"})
    async with world.hub.db.session(write=True) as session:
        await session.execute(
            update(MailboxItemRow)
            .where(MailboxItemRow.message_id == old)
            .values(created_at=datetime.now(UTC) - timedelta(hours=5))
        )
    young = await world.send(subject="mới")
    flashes = [await world.send(subject=f"hỏa tốc {n}", urgency="3") for n in range(3)]
    for mid in (young, *flashes):
        await world.wait_state(mid, B, {"queued"})
    order = [i["message_id"] for i in await world.mailbox(B)]
    assert order == [old, *flashes, young]
