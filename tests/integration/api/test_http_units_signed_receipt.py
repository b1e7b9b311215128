"""A successor's own signed receipt for a retired unit's delivery, over HTTP on both
stacks (issue 24 item 2): accepted from the retirement's instant, signed with the
successor's real key and certificate, speaking for the retired unit; refused before the
instant, for another's delivery, or naming the successor as issuer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.envelope.model import Status
from gateway.envelope.verify import verify_receipt
from tests.support.api_calls import post, status_of
from tests.support.api_world import PROV, A, B, C, World
from tests.support.receipts import post_xml, signed_receipt

pytestmark = pytest.mark.integration


def _delivery(status: dict[str, Any], unit: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in status["recipients"] if r["unit"] == unit)
    return found


async def test_successor_answers_a_retired_units_delivery_with_its_signed_receipt(
    world: World,
) -> None:
    """After B retires into C, C's receipt signed with C's key about B's delivery moves it
    (received, then accepted), takes the document off the list C reads, and is kept as
    signed: the stored XML verifies as C's."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued", "delivered"})
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    assert [i["message_id"] for i in await world.mailbox(C)] == [old]

    for status in (Status.RECEIVED, Status.ACCEPTED):
        xml = await signed_receipt(world, C, old, B, status, reader="operator")
        code, body = await post_xml(world, C, old, xml)
        assert code == 201, body
    entry = _delivery(await status_of(world, A, old), B)
    assert (entry["state"], entry["forwarded_to"]) == ("accepted", C)
    assert [r["status"] for r in entry["receipts"]] == ["01", "03"]
    assert await world.mailbox(C, wait=0) == []

    kept = await world.hub.messages.get_receipt(body["receipt_id"])
    assert verify_receipt(kept.xml, world.hub.trust()).signer_unit == C

    # the same receipt again is not a second answer
    code, _ = await post_xml(world, C, old, xml)
    assert code in (200, 201)
    assert len(_delivery(await status_of(world, A, old), B)["receipts"]) == 2


async def test_signed_receipt_of_a_successor_waits_for_the_instant(world: World) -> None:
    """Before a scheduled retirement's instant C may not answer for B: the message is not
    C's to see (message.not_found), and B's delivery does not move."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued", "delivered"})
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    code, _ = await post(
        world, "operator", f"/api/v1/units/{B}/retire", {"successor": C, "at": later}
    )
    assert code == 200
    code, body = await post_xml(
        world, C, old, await signed_receipt(world, C, old, B, Status.RECEIVED, reader="operator")
    )
    assert (code, body["error"]["code"]) == (404, "message.not_found")
    assert _delivery(await status_of(world, A, old), B)["state"] in ("queued", "delivered")


async def test_successor_receipt_refusals(world: World) -> None:
    """A successor's receipt naming itself as issuer, one by a unit that succeeds no
    recipient, and one signed by another key are refused with stable codes (4xx)."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued", "delivered"})
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200

    xml = await signed_receipt(world, C, old, B, Status.RECEIVED, issuer=C, reader="operator")
    code, body = await post_xml(world, C, old, xml)
    assert (code, body["error"]["code"]) == (403, "receipt.wrong_party")
    xml = await signed_receipt(world, PROV, old, B, Status.RECEIVED, reader="operator")
    code, body = await post_xml(world, PROV, old, xml)
    assert (code, body["error"]["code"]) == (404, "message.not_found")
    xml = await signed_receipt(world, PROV, old, B, Status.RECEIVED, reader="operator")
    code, body = await post_xml(world, C, old, xml)
    assert (code, body["error"]["code"]) == (403, "auth.forbidden")
    assert _delivery(await status_of(world, A, old), B)["receipts"] == []
