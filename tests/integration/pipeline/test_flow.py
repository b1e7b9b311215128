"""The whole flow through the hub facade, on SQLite + local bus and PostgreSQL + RabbitMQ."""

from __future__ import annotations

import asyncio

import pytest

from gateway.bus import DOCUMENTS, RECEIPTS
from gateway.errors import ConflictError, ForbiddenError, NotFoundError, ReceiptError
from gateway.hub import Hub
from tests.support.pipeline_stack import (
    A1,
    A2,
    GA,
    OPERATOR,
    PROV,
    A,
    B,
    S,
    eventually,
    signed_envelope,
    unit,
)

FULL = ["01", "03", "04", "05", "06"]


async def documents(hub: Hub, code: str, wait: float = 0.0) -> list[dict]:
    """The document items pending in ``code``'s mailbox."""
    items = await hub.mailbox(unit(code), wait=wait, limit=100)
    return [i for i in items if i["kind"] == "document"]


async def receipts(hub: Hub, code: str) -> list[dict]:
    """The receipt items pending in ``code``'s mailbox."""
    items = await hub.mailbox(unit(code), wait=0, limit=500)
    return [i for i in items if i["kind"] == "receipt"]


async def test_signed_envelope_reaches_each_recipient_once_and_receipts_come_back(hub: Hub):
    """A signed envelope to a unit and a group is delivered once to each; 01..06 come back."""
    mid, xml = await signed_envelope(hub, PROV, recipients=(B,), groups=(GA,))
    result = await hub.submit_envelope(unit(PROV), xml)
    assert (result.message_id, result.created) == (mid, True)
    for code in (B, A1, A2):
        items = await eventually(lambda c=code: documents(hub, c, wait=2.0))
        assert [i["message_id"] for i in items] == [mid]
    assert await documents(hub, A) == []
    for code in (B, A1, A2):
        for status in FULL:
            await hub.post_receipt(unit(code), mid, status=status)
    back = await eventually(lambda: _at_least(receipts(hub, PROV), 15))
    assert sorted(r["sender"] for r in back) == sorted([A1] * 5 + [A2] * 5 + [B] * 5)
    status = await hub.status(unit(PROV), mid)
    assert {r["unit"]: r["state"] for r in status["recipients"]} == {
        B: "completed",
        A1: "completed",
        A2: "completed",
    }
    assert all([x["status"] for x in r["receipts"]] == FULL for r in status["recipients"])


async def _at_least(coro, n: int):
    items = await coro
    return items if len(items) >= n else None


async def test_resubmitting_the_same_envelope_creates_nothing(hub: Hub):
    """The same envelope twice: the second answer says created=False, one mailbox item."""
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    assert (await hub.submit_envelope(unit(A), xml)).created is True
    again = await hub.submit_envelope(unit(A), xml)
    assert (again.message_id, again.created) == (mid, False)
    await eventually(lambda: documents(hub, B, wait=1.0))
    await asyncio.sleep(0.3)
    assert len(await documents(hub, B)) == 1


async def test_same_id_other_content_is_a_conflict(hub: Hub):
    """A second envelope reusing a message id is refused with message.duplicate_id."""
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    await hub.submit_envelope(unit(A), xml)
    import uuid

    _, other = await signed_envelope(
        hub, A, recipients=(B,), subject="khác", message_id=uuid.UUID(mid)
    )
    with pytest.raises(ConflictError) as info:
        await hub.submit_envelope(unit(A), other)
    assert info.value.code == "message.duplicate_id"


async def test_illegal_transition_is_refused(hub: Hub):
    """A status that moves a delivery backwards is refused with receipt.illegal_transition."""
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    await hub.submit_envelope(unit(A), xml)
    await eventually(lambda: documents(hub, B, wait=1.0))
    await hub.post_receipt(unit(B), mid, status="01")
    await hub.post_receipt(unit(B), mid, status="05")
    with pytest.raises(ReceiptError) as info:
        await hub.post_receipt(unit(B), mid, status="03")
    assert info.value.code == "receipt.illegal_transition"
    await hub.post_receipt(unit(B), mid, status="06")
    with pytest.raises(ReceiptError):
        await hub.post_receipt(unit(B), mid, status="02", reason="too late")


async def test_a_unit_cannot_see_another_units_message(hub: Hub):
    """A stranger gets message.not_found; the sender may not post a recipient's status."""
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    await hub.submit_envelope(unit(A), xml)
    for call in (
        hub.envelope_xml(unit(S), mid),
        hub.status(unit(S), mid),
        hub.post_receipt(unit(S), mid, status="01"),
    ):
        with pytest.raises(NotFoundError) as info:
            await call
        assert info.value.code == "message.not_found"
    with pytest.raises(ForbiddenError) as forbidden:
        await hub.post_receipt(unit(A), mid, status="03")
    assert forbidden.value.code == "receipt.wrong_party"
    assert (await hub.envelope_xml(unit(B), mid)) == xml
    assert (await hub.status(OPERATOR, mid))["sender"] == A
    with pytest.raises(ForbiddenError):
        await hub.search(unit(A))


async def test_envelope_signed_by_another_unit_is_refused(hub: Hub):
    """Caller, signer and sender must be one unit: envelope.sender_mismatch otherwise."""
    _, xml = await signed_envelope(hub, A, recipients=(B,))
    from gateway.errors import EnvelopeError

    with pytest.raises(EnvelopeError) as info:
        await hub.submit_envelope(unit(S), xml)
    assert info.value.code == "envelope.sender_mismatch"


async def test_redelivered_bus_messages_have_no_second_effect(hub: Hub):
    """The same document and receipt published again: one mailbox item, one receipt each."""
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    await hub.submit_envelope(unit(A), xml)
    await eventually(lambda: documents(hub, B, wait=1.0))
    receipt_id = await hub.post_receipt(unit(B), mid, status="01")
    await eventually(lambda: receipts(hub, A))
    doc_body = f'{{"kind":"document","message_id":"{mid}","recipient":"{B}"}}'.encode()
    rec_body = (
        f'{{"kind":"receipt","message_id":"{mid}","receipt_id":"{receipt_id}","recipient":"{A}"}}'
    ).encode()
    for _ in range(2):
        await hub.bus.publish(DOCUMENTS, B, doc_body, message_id=f"{mid}.again")
        await hub.bus.publish(RECEIPTS, A, rec_body, message_id=f"{receipt_id}.again")
    await asyncio.sleep(0.5)
    assert await documents(hub, B) == []  # answered (so acked) and not resurrected
    assert [r["receipt_id"] for r in await receipts(hub, A)] == [receipt_id]
    status = await hub.status(unit(A), mid)
    assert [x["status"] for x in status["recipients"][0]["receipts"]] == ["01"]


async def test_long_poll_returns_when_a_document_arrives(hub: Hub):
    """A waiting mailbox read returns as soon as the document is committed."""
    waiter = asyncio.create_task(hub.mailbox(unit(B), wait=8.0, limit=10))
    await asyncio.sleep(0.2)
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    started = asyncio.get_running_loop().time()
    await hub.submit_envelope(unit(A), xml)
    items = await asyncio.wait_for(waiter, 5.0)
    assert [i["message_id"] for i in items] == [mid]
    assert asyncio.get_running_loop().time() - started < 3.0


async def test_recall_asks_every_unfinished_recipient(hub: Hub):
    """The sender's 13 goes to recipients not finished; a recipient may not recall."""
    mid, xml = await signed_envelope(hub, PROV, groups=(GA,))
    await hub.submit_envelope(unit(PROV), xml)
    await eventually(lambda: documents(hub, A1, wait=1.0))
    for status in FULL:
        await hub.post_receipt(unit(A1), mid, status=status)
    ids = await hub.recall(unit(PROV), mid, "sent by mistake")
    assert len(ids) == 1
    status = await hub.status(unit(PROV), mid)
    states = {r["unit"]: r["state"] for r in status["recipients"]}
    assert states == {A1: "completed", A2: "recall_requested"}
    with pytest.raises(ForbiddenError):
        await hub.recall(unit(A2), mid, "no")
