"""Receipts posted over HTTP to a running hub: whose delivery a receipt moves, which answer
comes first, and whose clock a receipt's time is (issue 21, items 1-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.envelope.model import Status
from tests.support.api_world import A, B, C, World
from tests.support.receipts import post_xml, signed_receipt

TRANSPORT = {"submitted", "queued", "delivered"}


async def post_status(world: World, who: str, message_id: str, status: str) -> tuple[int, Any]:
    """POST ``{"status": status}`` as ``who``: (status, JSON body)."""
    resp = await world.client.post(
        f"/api/v1/messages/{message_id}/receipts", json={"status": status}, headers=world.auth(who)
    )
    return resp.status, await resp.json()


async def delivery(world: World, message_id: str, unit: str) -> dict[str, Any]:
    """``unit``'s delivery in the status an operator reads."""
    resp = await world.client.get(
        f"/api/v1/messages/{message_id}/status", headers=world.auth("operator")
    )
    assert resp.status == 200, await resp.text()
    found: dict[str, Any] = next(r for r in (await resp.json())["recipients"] if r["unit"] == unit)
    return found


def code_of(body: Any) -> str:
    """The error code of an error answer."""
    return str(body["error"]["code"])


# -- item 1: a receipt moves only its signer's own delivery -----------------------------


async def test_a_recipient_cannot_answer_for_another_recipient(world: World) -> None:
    """B's signed receipt about C's delivery (with or without Issuer C) is 403 and C's
    delivery, timeline and the sender's mailbox do not change; B's own receipt is 201."""
    mid = await world.send(to=(B, C))
    await world.mailbox(B)
    for issuer in (None, C):
        for status in (Status.RECEIVED, Status.COMPLETED):
            xml = await signed_receipt(world, B, mid, C, status, issuer=issuer)
            code, body = await post_xml(world, B, mid, xml)
            assert (code, code_of(body)) == (403, "receipt.wrong_party"), body
    theirs = await delivery(world, mid, C)
    assert theirs["state"] in TRANSPORT and theirs["receipts"] == []
    own = await signed_receipt(world, B, mid, B, Status.RECEIVED)
    code, body = await post_xml(world, B, mid, own)
    assert code == 201, body
    assert [r["by"] for r in (await delivery(world, mid, B))["receipts"]] == [B]
    receipts = [i for i in await world.mailbox(A) if i["kind"] == "receipt"]
    assert [i["item_id"] for i in receipts] and all(i["sender"] == B for i in receipts)
    assert (await delivery(world, mid, C))["receipts"] == []


async def test_a_receipt_signed_by_another_unit_is_refused(world: World) -> None:
    """C posting B's signed receipt about B is 403 auth.forbidden; nothing moves."""
    mid = await world.send(to=(B, C))
    xml = await signed_receipt(world, B, mid, B, Status.RECEIVED)
    code, body = await post_xml(world, C, mid, xml)
    assert (code, code_of(body)) == (403, "auth.forbidden"), body
    assert (await delivery(world, mid, B))["receipts"] == []


# -- item 2: the recipient's first answer comes first -----------------------------------


async def test_a_later_status_before_the_first_answer_is_refused(world: World) -> None:
    """04, 05, 06 on a delivery not yet answered (queued, then delivered) are 409
    receipt.out_of_order, plain or signed; after 01 the same 06 is 201."""
    mid = await world.send(to=(B,))
    code, body = await post_status(world, B, mid, "06")  # never fetched
    assert (code, code_of(body)) == (409, "receipt.out_of_order"), body
    await world.mailbox(B)
    assert (await delivery(world, mid, B))["state"] in TRANSPORT
    for status in ("04", "05", "06", "completed"):
        code, body = await post_status(world, B, mid, status)
        assert (code, code_of(body)) == (409, "receipt.out_of_order"), body
    xml = await signed_receipt(world, B, mid, B, Status.COMPLETED)
    code, body = await post_xml(world, B, mid, xml)
    assert (code, code_of(body)) == (409, "receipt.out_of_order"), body
    assert (await delivery(world, mid, B))["receipts"] == []
    assert (await post_status(world, B, mid, "01"))[0] == 201
    assert (await post_status(world, B, mid, "06"))[0] == 201
    mine = await delivery(world, mid, B)
    assert mine["state"] == "completed"
    assert [r["status"] for r in mine["receipts"]] == ["01", "06"]


async def test_a_take_back_does_not_stand_in_for_the_first_answer(world: World) -> None:
    """After the sender's 13 on a delivery never answered, 06 is still 409
    receipt.out_of_order; after the recipient's 01 the same 06 is 201."""
    mid = await world.send(to=(B,))
    await world.mailbox(B)
    resp = await world.client.post(f"/api/v1/messages/{mid}/recall", headers=world.auth(A))
    assert resp.status in (200, 201, 202), await resp.text()
    assert (await delivery(world, mid, B))["state"] == "recall_requested"
    for status in ("04", "05", "06"):
        code, body = await post_status(world, B, mid, status)
        assert (code, code_of(body)) == (409, "receipt.out_of_order"), body
    assert (await post_status(world, B, mid, "01"))[0] == 201
    assert (await post_status(world, B, mid, "06"))[0] == 201
    assert (await delivery(world, mid, B))["state"] == "completed"


async def test_a_signed_rejection_without_a_reason_is_refused(world: World) -> None:
    """A signed 02 receipt without a reason is 422 receipt.reason_required, as the plain
    status is; nothing moves."""
    mid = await world.send(to=(B,))
    await world.mailbox(B)
    xml = await signed_receipt(world, B, mid, B, Status.REJECTED)
    code, body = await post_xml(world, B, mid, xml)
    assert (code, code_of(body)) == (422, "receipt.reason_required"), body
    assert (await delivery(world, mid, B))["receipts"] == []


# -- item 3: the hub's clock, the claimed time within the skew --------------------------


@pytest.mark.parametrize(
    "claimed",
    [datetime(2020, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)],
    ids=["before-the-message", "in-the-future"],
)
async def test_a_receipt_dated_out_of_range_is_refused(world: World, claimed: datetime) -> None:
    """A signed receipt dated before the message or far ahead is 422 receipt.time_out_of_range."""
    mid = await world.send(to=(B,))
    xml = await signed_receipt(world, B, mid, B, Status.RECEIVED, at=claimed)
    code, body = await post_xml(world, B, mid, xml)
    assert (code, code_of(body)) == (422, "receipt.time_out_of_range"), body
    assert (await delivery(world, mid, B))["receipts"] == []


async def test_status_shows_the_hubs_time_of_receipt(world: World) -> None:
    """A receipt dated 4 minutes ago (within the default 300 s skew) is stored; the status
    shows when the hub received it as ``at``, the signed time beside it as ``claimed_at``."""
    mid = await world.send(to=(B,))
    claimed = datetime.now(UTC) - timedelta(minutes=4)
    before = datetime.now(UTC)
    xml = await signed_receipt(world, B, mid, B, Status.RECEIVED, at=claimed)
    code, body = await post_xml(world, B, mid, xml)
    assert code == 201, body
    shown = (await delivery(world, mid, B))["receipts"][0]
    at = datetime.fromisoformat(shown["at"])
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert abs(datetime.fromisoformat(shown["claimed_at"]) - claimed) < timedelta(seconds=1)


@pytest.mark.parametrize("hub_overrides", [{"receipt_clock_skew_seconds": 5}])
async def test_the_skew_is_configured(world: World) -> None:
    """With [hub] receipt_clock_skew_seconds = 5, a receipt dated a minute ago is refused."""
    mid = await world.send(to=(B,))
    claimed = datetime.now(UTC) - timedelta(minutes=1)
    xml = await signed_receipt(world, B, mid, B, Status.RECEIVED, at=claimed)
    code, body = await post_xml(world, B, mid, xml)
    assert (code, code_of(body)) == (422, "receipt.time_out_of_range"), body
